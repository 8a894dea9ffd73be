"""`/commitments/`: "Our commitments to you" for partner users, the vendor's record by channel
manager and by partner for vendor staff."""

from __future__ import annotations

from django.http import Http404
from django.views.generic import TemplateView

from disputes.charts import column_chart
from prm.core.access import ALL_ROLES, VENDOR_ROLES, RoleRequiredMixin, is_vendor

from .selectors import commitment_overview, commitment_record_get, manager_get

CHART_WIDTH, CHART_HEIGHT = 720, 220


def _month_chart(months):
    return column_chart(
        [(label, (met * 100) // total, f"{(met * 200 + total) // (2 * total)}%")
         for label, met, total in months],
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
    )  # fmt: skip


class CommitmentHomeView(RoleRequiredMixin, TemplateView):
    """Partner users: their organisation's record. Vendor staff: the record over their
    partners, by channel manager and by month."""

    allowed_roles = ALL_ROLES

    def get_template_names(self) -> list[str]:
        if is_vendor(self.request):
            return ["engagement/commitment_overview.html"]
        return ["engagement/commitment_record.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        if is_vendor(request):
            overview = commitment_overview(user=request.user)
            context.update(overview=overview, chart=_month_chart(overview.months))
            return context
        if request.partner is None:
            raise Http404
        record = commitment_record_get(
            user=request.user, code=request.partner.code, current_partner=request.partner
        )
        context.update(record=record, is_vendor=False, chart=_month_chart(record.months))
        return context


class CommitmentPartnerView(RoleRequiredMixin, TemplateView):
    """One partner's record; another partner's, or one outside a channel manager's
    assignment, answers 404."""

    allowed_roles = ALL_ROLES
    template_name = "engagement/commitment_record.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = commitment_record_get(
            user=self.request.user, code=kwargs["code"], current_partner=self.request.partner
        )
        context.update(
            record=record, is_vendor=is_vendor(self.request), chart=_month_chart(record.months)
        )
        return context


class CommitmentManagerView(RoleRequiredMixin, TemplateView):
    """The record over one channel manager's partners (among those the user sees)."""

    allowed_roles = VENDOR_ROLES
    template_name = "engagement/commitment_overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        manager = manager_get(manager_id=kwargs["pk"])
        if manager is None:
            raise Http404
        overview = commitment_overview(user=self.request.user, manager_id=manager.pk)
        context.update(overview=overview, chart=_month_chart(overview.months), manager=manager)
        return context
