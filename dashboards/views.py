"""The pages that compose every app: the landing dashboards and a partner's 360° page."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from agreements.models import Agreement
from disputes.charts import column_chart
from disputes.selectors import case_list
from disputes.views import AGE_LABELS
from enablement.certificate_selectors import certified_people
from engagement.selectors import partner_health_with_trend
from partners.forms import InvitationForm, MembershipRoleForm, PartnerStatusForm, RiskForm
from partners.selectors import event_list, partner_overview
from partners.selectors.reviews import (
    action_item_open_list,
    review_is_overdue,
    review_next_for_partner,
)
from partners.services import STATUS_TRANSITIONS
from prm.core.access import (
    ALL_ROLES,
    DEAL_ROLES,
    MEMBER_MANAGER_ROLES,
    PAYOUT_ROLES,
    TARGET_NEGOTIATOR_ROLES,
    VENDOR_ROLES,
    Role,
    RoleRequiredMixin,
    request_role,
)
from prm.core.links import nav

from .selectors import partner_dashboard, vendor_dashboard

# Drawn at about the size of its card, so its labels keep their reading size.
AGE_CHART_WIDTH, AGE_CHART_HEIGHT = 420, 200


def _url(name: str, query: str = "") -> str:
    """The path of a list page with its filter (the path reversed once per process)."""
    path = nav(name)
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
        _tile(
            "fund_requests",
            board.fund_request_count,
            ngettext(
                "fund request awaiting a decision",
                "fund requests awaiting a decision",
                board.fund_request_count,
            ),
            url=_url("fund_list") + "#queue-heading",
            icon="bi-piggy-bank",
        ),
        _tile(
            "fund_claims",
            board.fund_claim_count,
            ngettext(
                "fund claim awaiting a decision",
                "fund claims awaiting a decision",
                board.fund_claim_count,
            ),
            url=_url("fund_list") + "#claim-queue-heading",
            icon="bi-file-earmark-check",
        ),
        _tile(
            "protection_claims",
            board.protection_claim_count,
            ngettext(
                "price-protection claim awaiting review",
                "price-protection claims awaiting review",
                board.protection_claim_count,
            ),
            url=_url("protection_claim_list"),
            icon="bi-shield-check",
        ),
    ]


def _falling_tile(user, count: int) -> dict:
    """The `count` partners the user is account manager of whose health fell by 15 points or
    more since last quarter."""
    return _tile(
        "health_falling",
        count,
        ngettext(
            "partner whose health fell this quarter",
            "partners whose health fell this quarter",
            count,
        ),
        url=_url("partner_list", f"account_manager={user.pk}&sort=health_score"),
        icon="bi-heart-pulse",
        urgent=True,
    )


class DashboardView(RoleRequiredMixin, TemplateView):
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
            context["tiles"].append(_falling_tile(request.user, board.falling_count))
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
                membership=request.membership,
            )
            context.update(vars(board))
            context["show_payouts"] = role in PAYOUT_ROLES
            context["show_deals"] = role in DEAL_ROLES
            context["show_proposals"] = role in TARGET_NEGOTIATOR_ROLES
            context["announcement_url"] = _url("announcement_list")
            context["review_url"] = _url("review_list")
            context["fund_url"] = _url("fund_list")
            context["protection_url"] = _url("protection_claim_list")
            context["events"] = event_list(user=request.user, role=role, partner=partner, limit=8)
            health, health_trend = partner_health_with_trend(partner=partner)
            context.update(
                health=health, health_trend=health_trend, commitments_url=_url("commitment_home")
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
        health, health_trend = partner_health_with_trend(partner=partner)
        context.update(
            health=health,
            health_trend=health_trend,
            next_review=next_review,
            next_review_overdue=next_review is not None and review_is_overdue(next_review),
            open_action_items=action_item_open_list(partners=[partner], limit=5),
            certified=certified_people(partner=partner, on=timezone.localdate()),
            commitments_url=reverse("commitment_partner", kwargs={"code": partner.code}),
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
