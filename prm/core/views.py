from django.db import connection
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from disputes.charts import column_chart
from disputes.views import AGE_LABELS
from partners.permissions import DEAL_ROLES, TARGET_NEGOTIATOR_ROLES
from prm.core.access import ALL_ROLES, VENDOR_ROLES, Role, RoleRequiredMixin, request_role
from prm.core.dashboard import partner_dashboard, vendor_dashboard
from prm.core.page_cache import VersionedPageCacheMixin
from prm.core.selectors import event_list

# Drawn at about the size of its card, so its labels keep their reading size.
AGE_CHART_WIDTH, AGE_CHART_HEIGHT = 420, 200
PAYOUT_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE})


def _url(name: str, query: str = "") -> str:
    """The path of a list page with its filter."""
    path = reverse(name)
    return f"{path}?{query}" if query else path


def _tile(key: str, count: int, label: str, *, url: str | None, icon: str, urgent=False):
    return {
        "key": key,
        "count": count,
        "label": label,
        "url": url,
        "icon": icon,
        "urgent": urgent and count > 0,
    }


def _vendor_tiles(board, *, is_admin: bool) -> list[dict]:
    """The counts of what needs vendor staff, each linking to the list filtered the same way."""
    drafts = board.draft_statement_count
    return [
        _tile(
            "breached",
            board.breached_count,
            ngettext(
                "case past an SLA deadline", "cases past an SLA deadline", board.breached_count
            ),
            url=_url("case_list", "status=breached"),
            icon="bi-alarm",
            urgent=True,
        ),
        _tile(
            "escalated",
            board.escalated_count,
            ngettext("escalated case", "escalated cases", board.escalated_count),
            url=_url("case_list", "status=escalated"),
            icon="bi-arrow-up-right-circle",
            urgent=True,
        ),
        _tile(
            "deals",
            board.pending_deal_count,
            ngettext(
                "deal registration to review",
                "deal registrations to review",
                board.pending_deal_count,
            ),
            url=_url("deal_list", "status=pending"),
            icon="bi-briefcase",
        ),
        _tile(
            "proposals",
            board.proposal_count,
            ngettext(
                "target proposal awaiting you",
                "target proposals awaiting you",
                board.proposal_count,
            ),
            url="#proposals-heading" if board.proposal_count else None,
            icon="bi-bullseye",
        ),
        _tile(
            "agreements",
            board.expiring_count,
            ngettext(
                "agreement expiring within 90 days",
                "agreements expiring within 90 days",
                board.expiring_count,
            ),
            url=_url("agreement_list", "status=expiring"),
            icon="bi-hourglass-split",
        ),
        _tile(
            "reviews_due",
            board.reviews_due_count,
            ngettext(
                "business review in the next 14 days",
                "business reviews in the next 14 days",
                board.reviews_due_count,
            ),
            url=_url("review_list", "status=scheduled"),
            icon="bi-calendar-event",
        ),
        _tile(
            "reviews_overdue",
            board.reviews_overdue_count,
            ngettext(
                "overdue business review", "overdue business reviews", board.reviews_overdue_count
            ),
            url=_url("review_list", "status=overdue"),
            icon="bi-calendar-x",
            urgent=True,
        ),
        _tile(
            "statements",
            drafts,
            ngettext("draft statement to approve", "draft statements to approve", drafts)
            if is_admin
            else ngettext(
                "draft statement awaiting approval", "draft statements awaiting approval", drafts
            ),
            url=_url("statement_list", "status=draft"),
            icon="bi-receipt",
        ),
        _tile(
            "flagged",
            board.flagged_count,
            ngettext(
                "partner over credit limit or high risk",
                "partners over credit limit or high risk",
                board.flagged_count,
            ),
            url=_url("partner_list", "flagged=on"),
            icon="bi-flag",
            urgent=True,
        ),
    ]


class DashboardView(RoleRequiredMixin, VersionedPageCacheMixin, TemplateView):
    """The landing page: vendor staff see what needs them today across their partners; partner
    users see where their organisation stands."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True

    def get_template_names(self) -> list[str]:
        if request_role(self.request) in VENDOR_ROLES:
            return ["core/dashboard_vendor.html"]
        return ["core/dashboard_partner.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        role = request_role(request)
        now = timezone.now()
        if role in VENDOR_ROLES:
            board = vendor_dashboard(user=request.user, now=now)
            context.update(vars(board))
            context["tiles"] = _vendor_tiles(board, is_admin=role == Role.VENDOR_ADMIN)
            context["age_chart"] = column_chart(
                [(str(AGE_LABELS[key]), count, str(count)) for key, count in board.case_ages],
                width=AGE_CHART_WIDTH,
                height=AGE_CHART_HEIGHT,
            )
            context["events"] = event_list(user=request.user, role=role, limit=8)
            return context
        partner = request.partner
        context["partner"] = partner
        if partner is not None:
            board = partner_dashboard(
                user=request.user,
                partner=partner,
                now=now,
                show_payouts=role in PAYOUT_ROLES,
                show_deals=role in DEAL_ROLES,
                show_proposals=role in TARGET_NEGOTIATOR_ROLES,
            )
            context.update(vars(board))
            context["show_payouts"] = role in PAYOUT_ROLES
            context["show_deals"] = role in DEAL_ROLES
            context["show_proposals"] = role in TARGET_NEGOTIATOR_ROLES
            context["announcement_url"] = _url("announcement_list")
            context["review_url"] = _url("review_list")
            context["events"] = event_list(user=request.user, role=role, partner=partner, limit=8)
        return context


class HealthView(View):
    """Liveness and database reachability, for load balancers and container health checks."""

    public = True

    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok"})
