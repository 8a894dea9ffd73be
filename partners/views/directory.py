"""The partner directory, the 360° page, onboarding (create, status) and risk."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from agreements.models import Agreement
from disputes.selectors import case_list
from prm.core.access import (
    ALL_ROLES,
    PARTNER_ROLES,
    VENDOR_ROLES,
    Role,
    RoleRequiredMixin,
    request_role,
)
from prm.core.errors import DomainError
from prm.core.page_cache import VersionedPageCacheMixin

from ..forms import (
    InvitationForm,
    MembershipRoleForm,
    PartnerCreateForm,
    PartnerFilterForm,
    PartnerStatusForm,
    RiskForm,
)
from ..middleware import SESSION_KEY
from ..permissions import DEAL_ROLES, MEMBER_MANAGER_ROLES, TARGET_NEGOTIATOR_ROLES
from ..selectors import partner_filter_options, partner_list, partner_overview
from ..selectors.reviews import (
    action_item_open_list,
    review_is_overdue,
    review_next_for_partner,
)
from ..services import (
    STATUS_TRANSITIONS,
    partner_change_status,
    partner_create,
    partner_risk_update,
)
from .base import ActionView, PartnerScopedMixin


class PartnerListView(RoleRequiredMixin, VersionedPageCacheMixin, TemplateView):
    """The partner directory for vendor staff: filters, sortable columns, pages; htmx requests
    get the table only."""

    allowed_roles = VENDOR_ROLES
    template_name = "partners/partner_list.html"
    paginate_by = 25

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#partner-table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = PartnerFilterForm(self.request.GET, options=partner_filter_options())
        filters = form.filters()
        partners = partner_list(user=self.request.user, filters=filters).prefetch_related(
            "territories"
        )
        page = Paginator(partners, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            form=form,
            filters=filters,
            page_obj=page,
            partners=page.object_list,
            sort=filters.sort,
            search=filters.search,
            status=filters.status,
        )
        return context


class PartnerDetailView(RoleRequiredMixin, TemplateView):
    """A partner's 360° page. Partner users reach only their current organisation; any other
    code answers 404, as does a partner outside a channel manager's assignment."""

    allowed_roles = ALL_ROLES
    template_name = "partners/partner_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = request_role(self.request)
        is_vendor = role in VENDOR_ROLES
        overview = partner_overview(
            user=self.request.user,
            code=self.kwargs["code"],
            current_partner=self.request.partner,
            role=role,
        )
        partner = overview.partner
        can_manage_members = role in MEMBER_MANAGER_ROLES
        context.update(
            overview=overview,
            partner=partner,
            members=overview.members,
            events=overview.events,
            scorecard=overview.scorecard,
            show_deals=role in DEAL_ROLES,
            can_manage_members=can_manage_members,
            can_negotiate_targets=role in TARGET_NEGOTIATOR_ROLES,
            role_choices=MembershipRoleForm.base_fields["role"].choices,
        )
        context["agreements"] = list(
            Agreement.objects.filter(partner=partner).order_by("-start", "number")[:10]
        )
        context["open_cases"] = list(
            case_list(user=self.request.user, current_partner=self.request.partner, status="active")
            .filter(Q(partner=partner) | Q(other_partner=partner))
            .order_by("resolution_due")[:10]
        )
        next_review = review_next_for_partner(partner=partner)
        context.update(
            next_review=next_review,
            next_review_overdue=next_review is not None and review_is_overdue(next_review),
            open_action_items=action_item_open_list(partners=[partner], limit=5),
        )
        if can_manage_members:
            context["invitation_form"] = InvitationForm(auto_id="invite_%s")
        if is_vendor:
            allowed = sorted(STATUS_TRANSITIONS[partner.status])
            context["status_form"] = (
                PartnerStatusForm(allowed=allowed, auto_id="status_%s") if allowed else None
            )
            context["risk_form"] = RiskForm(
                auto_id="risk_%s",
                initial={
                    "risk_rating": partner.risk_rating,
                    "credit_limit": partner.credit_limit,
                    "overdue_receivables": partner.overdue_receivables,
                },
            )
        return context


class PartnerCreateView(RoleRequiredMixin, FormView):
    """Onboarding starts here: vendor staff create the partner as a prospect, then invite its
    first users from its page. A channel manager becomes the new partner's account manager."""

    allowed_roles = VENDOR_ROLES
    template_name = "partners/partner_form.html"
    form_class = PartnerCreateForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["choose_manager"] = request_role(self.request) == Role.VENDOR_ADMIN
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        manager = data.get("account_manager")
        if request_role(self.request) == Role.CHANNEL_MANAGER:
            manager = self.request.user
        try:
            partner = partner_create(
                actor=self.request.user,
                code=data["code"],
                name=data["name"],
                local_name=data["local_name"],
                legal_name=data["legal_name"],
                tax_id=data["tax_id"],
                country=data["country"],
                currency=data["currency"],
                tier=data["tier"],
                account_manager=manager,
                territories=data["territories"],
                segments=data["segments"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(partner)s was created as a prospect. Invite its first users below.")
            % {"partner": partner.display_name},
        )
        return redirect("partner_detail", code=partner.code)


class PartnerStatusChangeView(PartnerScopedMixin, ActionView):
    """Move the partner along its lifecycle, with the reason recorded."""

    allowed_roles = VENDOR_ROLES

    def post(self, request, code):
        partner = self.get_partner()
        form = PartnerStatusForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
        else:
            try:
                partner_change_status(
                    partner=partner,
                    status=form.cleaned_data["status"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                self.domain_error(exc)
            else:
                partner.refresh_from_db(fields=["status"])
                messages.success(
                    request,
                    _("The status is now %(status)s.") % {"status": partner.get_status_display()},
                )
        return redirect("partner_detail", code=partner.code)


class PartnerRiskUpdateView(PartnerScopedMixin, ActionView):
    """Record a new credit and risk assessment; the old one stays in the history."""

    allowed_roles = VENDOR_ROLES

    def post(self, request, code):
        partner = self.get_partner()
        form = RiskForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
        else:
            try:
                partner_risk_update(partner=partner, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                self.domain_error(exc)
            else:
                messages.success(request, _("The risk assessment was recorded."))
        return redirect(reverse("partner_detail", kwargs={"code": partner.code}) + "#risk")


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
