"""Deal registration pages: the list at /deals/, registering, the detail, and decisions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from prm.core.access import (
    DEAL_REGISTER_ROLES,
    DEAL_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    request_role,
)
from prm.core.errors import DomainError

from ..forms import DEAL_STATUS_CHOICES, DealDecisionForm, DealForm
from ..models import DealRegistration
from ..selectors import DEAL_SORTS, deal_conflict_list, deal_get, deal_list_pages
from ..selectors.deals import DEAL_PAGE_SIZE
from ..services import deal_approve, deal_register, deal_reject
from .base import ActionView


class DealListView(RoleRequiredMixin, TemplateView):
    """Vendor staff see the registrations of their partners; partner users their own
    organisation's. htmx requests get the table only."""

    allowed_roles = DEAL_ROLES
    template_name = "partners/deal_list.html"
    paginate_by = DEAL_PAGE_SIZE

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return [f"{self.template_name}#deal-table"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        search = params.get("q", "").strip()[:100]
        status = params.get("status", "")
        if status not in DealRegistration.Status.values:
            status = ""
        sort = params.get("sort", "-created")
        if sort.removeprefix("-") not in DEAL_SORTS:
            sort = "-created"
        conflict_only = params.get("conflict") == "1"
        deals = deal_list_pages(
            user=self.request.user,
            current_partner=self.request.partner,
            search=search,
            status=status,
            conflict_only=conflict_only,
            sort=sort,
        )
        page = Paginator(deals, self.paginate_by).get_page(params.get("page"))
        context.update(
            page_obj=page,
            deals=page.object_list,
            search=search,
            status=status,
            sort=sort,
            conflict_only=conflict_only,
            statuses=DEAL_STATUS_CHOICES,
            can_register=request_role(self.request) in DEAL_REGISTER_ROLES,
        )
        return context


class DealCreateView(RoleRequiredMixin, FormView):
    """A partner's sales user (or admin) registers an opportunity."""

    allowed_roles = DEAL_REGISTER_ROLES
    template_name = "partners/deal_form.html"
    form_class = DealForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["partner"] = self.request.partner
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            deal = deal_register(
                partner=self.request.partner,
                actor=self.request.user,
                customer_name=data["customer_name"],
                customer_tax_id=data["customer_tax_id"],
                customer_domain=data["customer_domain"],
                territory=data["territory"],
                product_lines=data["product_lines"],
                estimated_value=data["estimated_value"],
                currency=data["currency"],
                expected_close=data["expected_close"],
                description=data["description"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        if deal.has_conflict:
            messages.warning(
                self.request,
                _(
                    "%(number)s was registered, but another partner has already registered this "
                    "customer for an overlapping product line. Your channel manager will review "
                    "both."
                )
                % {"number": deal.number},
            )
        else:
            messages.success(
                self.request,
                _("%(number)s was registered and is waiting for review.") % {"number": deal.number},
            )
        return redirect("deal_detail", pk=deal.pk)


class DealDetailView(RoleRequiredMixin, TemplateView):
    """One registration with its conflicts and decision. Partner users see a conflict's status
    and dates, never the other partner."""

    allowed_roles = DEAL_ROLES
    template_name = "partners/deal_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deal = deal_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )
        is_vendor = request_role(self.request) in VENDOR_ROLES
        context.update(
            deal=deal,
            conflicts=deal_conflict_list(deal=deal),
            can_decide=is_vendor and deal.status == DealRegistration.Status.PENDING,
            decision_form=DealDecisionForm(auto_id="decision_%s"),
        )
        return context


class _DealDecisionView(ActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        deal = deal_get(user=request.user, pk=pk, current_partner=request.partner)
        form = DealDecisionForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
        else:
            try:
                self.decide(deal, form.cleaned_data)
            except DomainError as exc:
                self.domain_error(exc)
        return redirect("deal_detail", pk=deal.pk)


class DealApproveView(_DealDecisionView):
    def decide(self, deal, data) -> None:
        deal = deal_approve(
            deal=deal,
            actor=self.request.user,
            reason=data["reason"],
            protection_days=data.get("protection_days") or None,
        )
        messages.success(
            self.request,
            _("%(number)s was approved; the customer is protected until %(date)s.")
            % {"number": deal.number, "date": date_format(deal.protected_until)},
        )


class DealRejectView(_DealDecisionView):
    def decide(self, deal, data) -> None:
        deal = deal_reject(deal=deal, actor=self.request.user, reason=data["reason"])
        messages.success(self.request, _("%(number)s was rejected.") % {"number": deal.number})
