"""The partner directory, the 360° page, onboarding (create, status) and risk."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from prm.core.access import (
    PARTNER_ROLES,
    VENDOR_ROLES,
    Role,
    RoleRequiredMixin,
    request_role,
)
from prm.core.errors import DomainError
from prm.core.kept import Kept

from ..forms import (
    PartnerCreateForm,
    PartnerFilterForm,
    PartnerStatusForm,
    RiskForm,
)
from ..middleware import SESSION_KEY
from ..selectors import partner_directory, partner_filter_options
from ..selectors.directory import (
    DIRECTORY_COLUMNS,
    DIRECTORY_PAGE_SIZE,
    PartnerFilterOptions,
    PartnerFilters,
)
from ..services import (
    partner_change_status,
    partner_create,
    partner_risk_update,
)
from ..templatetags.partner_tags import filter_select
from .base import ActionView, PartnerScopedMixin

# The directory's filter selects, in order, with the width of each in the filter bar's grid; the
# registered columns' filters follow at the width `COLUMN_FILTER_WIDTH`.
FILTER_SELECTS = (
    ("status", "col-lg-2 col-md-3 col-6"),
    ("tier", "col-lg-2 col-md-3 col-6"),
    ("territory", "col-lg-2 col-md-3 col-6"),
    ("risk", "col-lg-2 col-md-3 col-6"),
    ("account_manager", "col-lg-3 col-md-4 col-6"),
    ("attainment", "col-lg-3 col-md-4 col-6"),
)
COLUMN_FILTER_WIDTH = "col-lg-2 col-md-3 col-6"


@dataclass(frozen=True)
class PartnerFilterBar:
    """The directory's filters read from a query string, and what the filter bar shows of them:
    its selects and the flagged checkbox."""

    filters: PartnerFilters
    selects: str
    flagged: str


def partner_filter_bar(data: QueryDict, options: PartnerFilterOptions) -> PartnerFilterBar:
    """The filter bar of `PartnerFilterForm(data, options=options)`. It is built once per process
    for each combination of what it depends on: the active language, the values `data` gives
    the form's fields and the choices `options` offer (their codes and names)."""
    key = (
        get_language(),
        tuple(
            (name, tuple(data.getlist(name)))
            for name in (*PartnerFilterForm.base_fields, *DIRECTORY_COLUMNS)
        ),
        tuple((tier.code, tier.name, tier.local_name) for tier in options.tiers),
        tuple((place.code, place.name, place.local_name) for place in options.territories),
        tuple((user.pk, user.full_name, user.email) for user in options.account_managers),
    )
    return _FILTER_BARS.get(key, lambda: _partner_filter_bar(data, options))


def _partner_filter_bar(data: QueryDict, options: PartnerFilterOptions) -> PartnerFilterBar:
    form = PartnerFilterForm(data, options=options)
    filters = form.filters()
    selects = [filter_select(form[name], width) for name, width in FILTER_SELECTS]
    selects += [filter_select(field, COLUMN_FILTER_WIDTH) for field in form.column_fields]
    return PartnerFilterBar(
        filters=filters,
        selects=mark_safe("\n    ".join(selects)),  # noqa: S308 (each select is escaped)
        flagged=str(form["flagged"]),
    )


_FILTER_BARS: Kept[PartnerFilterBar] = Kept(512)


class PartnerListView(RoleRequiredMixin, TemplateView):
    """The partner directory for vendor staff: filters, sortable columns, pages; htmx requests
    get the table only."""

    allowed_roles = VENDOR_ROLES
    template_name = "partners/partner_list.html"
    paginate_by = DIRECTORY_PAGE_SIZE

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#partner-table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        filter_bar = partner_filter_bar(self.request.GET, partner_filter_options())
        filters = filter_bar.filters
        partners = partner_directory(user=self.request.user, filters=filters)
        page = Paginator(partners, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            filter_bar=filter_bar,
            filters=filters,
            page_obj=page,
            partners=page.object_list,
            sort=filters.sort,
            directory_columns=list(DIRECTORY_COLUMNS.values()),
            search=filters.search,
            status=filters.status,
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
