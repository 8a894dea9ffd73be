from django.db import connection
from django.http import JsonResponse
from django.views import View
from django.views.generic import TemplateView

from partners.selectors import (
    deal_pending_count,
    membership_list_for_partner,
    partner_flagged_list,
    partner_list,
    partner_status_counts,
    partner_visible_queryset,
    target_proposals_awaiting,
    target_scorecard,
)
from prm.core.access import ALL_ROLES, VENDOR_ROLES, RoleRequiredMixin, request_role
from prm.core.selectors import event_list_for_partner, event_list_for_vendor


class DashboardView(RoleRequiredMixin, TemplateView):
    """The landing page: vendor staff see their partners; partner users see their organisation."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True

    def get_template_names(self) -> list[str]:
        if request_role(self.request) in VENDOR_ROLES:
            return ["core/dashboard_vendor.html"]
        return ["core/dashboard_partner.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        if request_role(request) in VENDOR_ROLES:
            visible = partner_visible_queryset(user=request.user)
            context["status_counts"] = partner_status_counts(partners=visible)
            context["partner_total"] = sum(row["count"] for row in context["status_counts"])
            context["my_partners"] = list(
                partner_list(user=request.user).filter(account_manager=request.user)[:10]
            )
            context["unassigned_count"] = visible.filter(account_manager__isnull=True).count()
            context["events"] = event_list_for_vendor(user=request.user, limit=10)
            context["flagged_partners"] = partner_flagged_list(partners=visible)
            context["pending_deal_count"] = deal_pending_count(partners=visible)
            context["awaiting_proposals"] = list(
                target_proposals_awaiting(partners=visible, side="vendor")[:5]
            )
        else:
            partner = request.partner
            context["partner"] = partner
            if partner is not None:
                context["members"] = list(membership_list_for_partner(partner=partner))
                context["events"] = event_list_for_partner(partner=partner, limit=10)
                own = partner_visible_queryset(user=request.user, current_partner=partner)
                context["scorecard_row"] = target_scorecard(partner=partner, limit=4).current
                context["pending_deal_count"] = deal_pending_count(partners=own)
                context["awaiting_proposals"] = list(
                    target_proposals_awaiting(partners=own, side="partner")[:5]
                )
        return context


class HealthView(View):
    """Liveness and database reachability, for load balancers and container health checks."""

    public = True

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
