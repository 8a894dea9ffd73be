from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from prm.core.access import ALL_ROLES, PARTNER_ROLES, VENDOR_ROLES, RoleRequiredMixin
from prm.core.selectors import event_list_for_partner

from .middleware import SESSION_KEY
from .models import Partner
from .selectors import membership_list_for_partner, partner_get, partner_list


class PartnerListView(RoleRequiredMixin, TemplateView):
    """The partner directory for vendor staff; htmx requests get the table rows only."""

    allowed_roles = VENDOR_ROLES
    template_name = "partners/partner_list.html"
    paginate_by = 25

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#partner-table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = self.request.GET.get("q", "").strip()
        status = self.request.GET.get("status", "")
        if status not in Partner.Status.values:
            status = ""
        partners = partner_list(user=self.request.user, search=search, status=status)
        page = Paginator(partners, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            page_obj=page,
            partners=page.object_list,
            search=search,
            status=status,
            statuses=Partner.Status.choices,
        )
        return context


class PartnerDetailView(RoleRequiredMixin, TemplateView):
    """One partner's profile. Partner users reach only their current organisation; any other
    code answers 404, as does a partner outside a channel manager's assignment."""

    allowed_roles = ALL_ROLES
    template_name = "partners/partner_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = partner_get(
            user=self.request.user,
            code=self.kwargs["code"],
            current_partner=self.request.partner,
        )
        context["partner"] = partner
        context["members"] = list(membership_list_for_partner(partner=partner))
        context["events"] = event_list_for_partner(partner=partner, limit=20)
        return context


class PartnerSwitchView(RoleRequiredMixin, View):
    """Make another of the user's organisations the current one."""

    allowed_roles = PARTNER_ROLES

    def post(self, request):
        code = request.POST.get("partner", "")
        membership = next((m for m in request.memberships if m.partner.code == code), None)
        if membership is None:
            messages.error(request, _("You are not a member of that organisation."))
        else:
            request.session[SESSION_KEY] = membership.partner_id
            messages.success(
                request,
                _("You are now working as %(partner)s.")
                % {"partner": membership.partner.display_name},
            )
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = "dashboard"
        return redirect(next_url)
