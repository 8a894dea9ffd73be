"""Reads behind the landing page: what needs vendor staff today across the partners they may see,
and where a partner organisation stands. A fixed number of queries whatever the row counts: the
tiles of one table come from one aggregate with conditional counts, each short list is one query
(with its total as a window count where the tile needs nothing else)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from agreements.models import Agreement
from commissions.charts import payout_trend
from commissions.models import Statement
from commissions.rates import RateBook, ReportingTotal, reporting_total
from commissions.selectors import statement_list
from disputes.models import Case
from disputes.selectors import ACTIVE_Q, AGE_BUCKETS, case_breached_q, case_visible_queryset
from disputes.services import case_sla_state
from engagement.selectors import falling_partners_queryset
from funds.models import FundBudget, FundClaim, FundRequest, PriceProtectionClaim
from funds.selectors import budgets_with_balance
from partners.models import (
    FLAGGED_Q,
    ActionItem,
    AnnouncementRead,
    AnnouncementRecipient,
    BusinessReview,
    DealRegistration,
    Partner,
)
from partners.selectors import (
    ScorecardRow,
    partner_visible_ids,
    partner_visible_queryset,
    target_proposals_awaiting,
    target_scorecard_current,
)
from partners.selectors.reviews import local_day_start

LIST_SIZE = 5
ACTION_ITEM_LIST_SIZE = 8
REVIEW_HORIZON = dt.timedelta(days=14)
PAYOUT_TREND_PERIODS = 12


def _first(qs: QuerySet, size: int = LIST_SIZE) -> list:
    """The first `size` rows of `qs`, in one query compiled once. The lists are of rows waiting
    on someone (a filtered few of their table, or ordered by an index, as pending deals are by
    their creation), so the database joins their to-one related rows cheaply before it keeps the
    first few."""
    return list(qs[:size])


def _first_of(count: int, qs: QuerySet, size: int = LIST_SIZE) -> list:
    """`_first(qs, size)` for a list whose rows `count` (read with the tiles) says there are;
    no query when there are none."""
    return _first(qs, size) if count else []


def _top(qs: QuerySet, size: int = LIST_SIZE) -> tuple[list, int]:
    """The first `size` rows and the number of rows in all, always two queries (a window count
    over the list would make PostgreSQL read every row before returning the first few)."""
    return _first(qs, size), qs.order_by().count()


def _counts(**querysets: QuerySet) -> dict[str, int]:
    """The number of rows of each queryset, all in one query (one scalar subquery each, beside
    one another in a SELECT without FROM): the dashboard's tiles cost one round trip instead of
    one per tile. Each queryset is compiled on its own, as the ORM would run it."""
    columns, params, names = [], [], []
    counts = dict.fromkeys(querysets, 0)
    using = None
    for name, qs in querysets.items():
        using = using or qs.db
        try:
            sql, values = qs.order_by().values("pk").query.get_compiler(using=qs.db).as_sql()
        except EmptyResultSet:
            continue
        columns.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 (ORM-compiled SQL)
        params.extend(values)
        names.append(name)
    if not columns:
        return counts
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)
        row = cursor.fetchone()
    counts.update(zip(names, row, strict=True))
    return counts


def _of_partners(qs: QuerySet, partner_ids) -> QuerySet:
    """`qs` restricted to the partners of `partner_ids` (partners.selectors.partner_visible_ids);
    left whole when that is None, every partner (vendor admins), which spares the database a
    join."""
    if partner_ids is None:
        return qs
    return qs.filter(partner_id__in=partner_ids)


def _case_age_days(case: Case, now: dt.datetime) -> int:
    return max((now - case.created_at).days, 0)


@dataclass
class VendorDashboard:
    """Counts and the first few rows of everything waiting on vendor staff."""

    breached_count: int
    escalated_count: int
    open_case_count: int
    case_ages: list[tuple[str, int]]
    breached_cases: list[Case]
    pending_deal_count: int
    pending_deals: list[DealRegistration]
    proposal_count: int
    awaiting_proposals: list
    expiring_count: int
    expiring_agreements: list[Agreement]
    reviews_due_count: int
    reviews_overdue_count: int
    reviews_due: list[BusinessReview]
    draft_statement_count: int
    draft_statements: list[Statement]
    flagged_count: int
    flagged_partners: list[Partner]
    action_item_count: int
    action_items_overdue_count: int
    action_items: list[ActionItem]
    fund_request_count: int = 0
    fund_claim_count: int = 0
    protection_claim_count: int = 0
    draft_statement_total: ReportingTotal | None = None
    falling_count: int = 0


def vendor_dashboard(*, user, now: dt.datetime) -> VendorDashboard:
    """What needs `user` (vendor admin or channel manager) today, over the partners and cases
    they may see. Overdue business reviews are scheduled ones whose time has passed; reviews due
    are those in the next 14 days. Breached cases follow disputes.selectors.case_breached_q.

    Every count is read in one query; each short list reads only the columns it shows."""
    today = timezone.localdate(now)
    today_start = local_day_start(today)
    partners = partner_visible_queryset(user=user)
    partner_ids = partner_visible_ids(user=user)

    cases = case_visible_queryset(user=user)
    breached = case_breached_q(now=now)
    active_cases = cases.filter(ACTIVE_Q)
    case_counts = {
        "breached": cases.filter(breached),
        "escalated": active_cases.filter(escalated_at__isnull=False),
        "open_cases": active_cases,
    }
    for key, start, end in AGE_BUCKETS:
        condition = Q(created_at__lte=now - dt.timedelta(days=start))
        if end is not None:
            condition &= Q(created_at__gt=now - dt.timedelta(days=end))
        case_counts[f"age_{key}"] = active_cases.filter(condition)

    pending_deal_qs = _of_partners(
        DealRegistration.objects.filter(status=DealRegistration.Status.PENDING), partner_ids
    ).order_by("created_at", "id")
    proposal_qs = target_proposals_awaiting(partners=partners, side="vendor")
    expiring_qs = _of_partners(
        Agreement.objects.filter(status=Agreement.Status.EXPIRING), partner_ids
    ).order_by("end", "number")
    draft_statement_qs = _of_partners(
        Statement.objects.filter(status=Statement.Status.DRAFT), partner_ids
    ).order_by("period_start", "partner__code")
    flagged_qs = partners.filter(FLAGGED_Q).order_by("-overdue_receivables", "code")
    reviews = _of_partners(
        BusinessReview.objects.filter(status=BusinessReview.Status.SCHEDULED), partner_ids
    )
    open_items = _of_partners(ActionItem.objects.filter(done_at__isnull=True), partner_ids)
    counts = _counts(
        **case_counts,
        pending_deals=pending_deal_qs,
        proposals=proposal_qs,
        expiring=expiring_qs,
        draft_statements=draft_statement_qs,
        flagged=flagged_qs,
        reviews_overdue=reviews.filter(scheduled_at__lt=today_start),
        reviews_due=reviews.filter(
            scheduled_at__gte=today_start, scheduled_at__lt=now + REVIEW_HORIZON
        ),
        action_items=open_items,
        action_items_overdue=open_items.filter(due_on__lt=today),
        fund_requests=FundRequest.objects.filter(
            status=FundRequest.Status.PENDING,
            budget__in=_of_partners(FundBudget.objects.all(), partner_ids).values("pk"),
        ),
        fund_claims=FundClaim.objects.filter(
            status=FundClaim.Status.SUBMITTED,
            request__budget__in=_of_partners(FundBudget.objects.all(), partner_ids).values("pk"),
        ),
        protection_claims=_of_partners(
            PriceProtectionClaim.objects.filter(status=PriceProtectionClaim.Status.SUBMITTED),
            partner_ids,
        ),
        falling=falling_partners_queryset(user=user, today=today),
    )

    breached_cases = _first_of(
        counts["breached"],
        cases.filter(breached)
        .select_related("partner", "owner")
        .only(*CASE_ROW_FIELDS)
        .order_by("created_at", "id"),
    )
    for case in breached_cases:
        case.age_days = _case_age_days(case, now)
    pending_deals = _first_of(
        counts["pending_deals"],
        pending_deal_qs.select_related("partner").only(
            "id", "customer_name", "estimated_value", "currency", "partner__code"
        ),
    )
    awaiting_proposals = _first_of(
        counts["proposals"],
        proposal_qs.only(
            "id", "amount", "target__period", "target__currency", "target__partner__code"
        ),
    )
    expiring_agreements = _first_of(
        counts["expiring"],
        expiring_qs.select_related("partner").only("id", "number", "end", "partner__code"),
    )
    for agreement in expiring_agreements:
        agreement.days_left = (agreement.end - today).days
    # Overdue and due reviews together are the scheduled ones before the horizon.
    reviews_due = _first_of(
        counts["reviews_overdue"] + counts["reviews_due"],
        reviews.filter(scheduled_at__lt=now + REVIEW_HORIZON)
        .select_related("partner")
        .only("id", "scheduled_at", "partner__code", "partner__name", "partner__local_name")
        .order_by("scheduled_at", "id"),
    )
    for review in reviews_due:
        review.is_overdue = review.scheduled_at < today_start
    draft_statements = _first_of(
        counts["draft_statements"],
        draft_statement_qs.select_related("partner").only(
            "id", "period", "total", "currency", "partner__code"
        ),
    )
    flagged_partners = _first_of(counts["flagged"], flagged_qs.only(*FLAGGED_ROW_FIELDS))
    action_items = _action_item_rows(open_items, today=today, count=counts["action_items"])
    # The drafts of every partner in several currencies: one total in the reporting currency
    # (nothing to read, rates included, when there is no draft).
    if counts["draft_statements"]:
        draft_statement_total = reporting_total(
            draft_statement_qs.order_by().values_list("currency").annotate(Sum("total")), day=today
        )
    else:
        draft_statement_total = reporting_total([], day=today, book=RateBook([]))
    return VendorDashboard(
        breached_count=counts["breached"],
        escalated_count=counts["escalated"],
        open_case_count=counts["open_cases"],
        case_ages=[(key, counts[f"age_{key}"]) for key, _start, _end in AGE_BUCKETS],
        breached_cases=breached_cases,
        pending_deal_count=counts["pending_deals"],
        pending_deals=pending_deals,
        proposal_count=counts["proposals"],
        awaiting_proposals=awaiting_proposals,
        expiring_count=counts["expiring"],
        expiring_agreements=expiring_agreements,
        reviews_due_count=counts["reviews_due"],
        reviews_overdue_count=counts["reviews_overdue"],
        reviews_due=reviews_due,
        draft_statement_count=counts["draft_statements"],
        draft_statements=draft_statements,
        flagged_count=counts["flagged"],
        flagged_partners=flagged_partners,
        action_item_count=counts["action_items"],
        action_items_overdue_count=counts["action_items_overdue"],
        action_items=action_items,
        fund_request_count=counts["fund_requests"],
        fund_claim_count=counts["fund_claims"],
        protection_claim_count=counts["protection_claims"],
        draft_statement_total=draft_statement_total,
        falling_count=counts["falling"],
    )


# The columns the dashboards' short lists show.
CASE_ROW_FIELDS = (
    "id",
    "subject",
    "escalated_at",
    "created_at",
    "partner__code",
    "owner__full_name",
    "owner__email",
)
FLAGGED_ROW_FIELDS = (
    "id",
    "code",
    "name",
    "local_name",
    "risk_rating",
    "credit_limit",
    "overdue_receivables",
)
ACTION_ITEM_ROW_FIELDS = (
    "id",
    "title",
    "side",
    "due_on",
    "partner__code",
    "owner__full_name",
    "owner__email",
)


def _action_item_rows(open_items: QuerySet, *, today: dt.date, count: int) -> list[ActionItem]:
    """The earliest-due of `open_items` (`count` of them in all), each marked overdue or not."""
    rows = _first_of(
        count,
        open_items.select_related("partner", "owner")
        .only(*ACTION_ITEM_ROW_FIELDS)
        .order_by("due_on", "id"),
        ACTION_ITEM_LIST_SIZE,
    )
    for item in rows:
        item.is_overdue = item.due_on < today
    return rows


@dataclass
class PartnerDashboard:
    """Where the partner organisation stands, as much as the user's role may see."""

    scorecard_row: ScorecardRow | None
    attainment_width: int | None
    open_case_count: int
    breached_case_count: int
    open_cases: list[tuple[Case, dict]]
    unread_count: int
    unread_announcements: list
    acknowledgement_count: int
    awaiting_acknowledgement: list[AnnouncementRecipient]
    next_review: BusinessReview | None
    action_item_count: int
    action_items_overdue_count: int
    action_items: list[ActionItem]
    trend: dict | None = None
    pending_deal_count: int | None = None
    awaiting_proposals: list = field(default_factory=list)
    fund_budgets: list[FundBudget] = field(default_factory=list)
    fund_available: Decimal | None = None
    fund_currency: str = ""
    protection_claim_count: int | None = None
    protection_claims: list[PriceProtectionClaim] = field(default_factory=list)


def partner_dashboard(
    *,
    user,
    partner: Partner,
    now: dt.datetime,
    show_payouts: bool,
    show_deals: bool,
    show_proposals: bool,
    membership=None,
) -> PartnerDashboard:
    """The dashboard of `partner` for `user`, a member of it. Payouts, deals and target
    proposals are read only when the caller's role may see them; cases follow the case access
    rule (sales users see the cases they raised; `membership`, the user's membership of
    `partner` when the caller has it, spares looking it up). Unread announcements are those
    published to the partner that this user has not opened."""
    today = timezone.localdate(now)
    today_start = local_day_start(today)
    own = partner_visible_queryset(user=user, current_partner=partner)
    scorecard_row = target_scorecard_current(partner=partner)
    attainment = scorecard_row.attainment if scorecard_row else None
    attainment_width = (
        None if attainment is None else int(min(max(attainment, Decimal("0")), Decimal("100")))
    )

    cases = case_visible_queryset(user=user, current_partner=partner, membership=membership)
    breached = case_breached_q(now=now)
    receipts = AnnouncementRecipient.objects.filter(
        partner=partner, announcement__published_at__isnull=False
    )
    read = AnnouncementRead.objects.filter(announcement=OuterRef("announcement"), user=user)
    pending_ack = Q(announcement__requires_acknowledgement=True, acknowledged_at__isnull=True)
    open_items = ActionItem.objects.filter(partner=partner, done_at__isnull=True)
    scheduled = BusinessReview.objects.filter(
        partner=partner, status=BusinessReview.Status.SCHEDULED
    )
    running_budgets = FundBudget.objects.filter(partner=partner, fund__end__gte=today)
    # The lists' counts are read with the tiles', so that an empty list costs no query.
    counted = {
        "open_cases": cases.filter(ACTIVE_Q),
        "breached": cases.filter(breached),
        "unread": receipts.exclude(Exists(read)),
        "pending_ack": receipts.filter(pending_ack),
        "action_items": open_items,
        "action_items_overdue": open_items.filter(due_on__lt=today),
        "scheduled_reviews": scheduled,
        "fund_budgets": running_budgets,
    }
    if show_deals:
        counted["pending_deals"] = DealRegistration.objects.filter(
            partner__in=own, status=DealRegistration.Status.PENDING
        )
    open_protection = PriceProtectionClaim.objects.filter(
        partner=partner, status=PriceProtectionClaim.Status.OPEN
    )
    statements = statement_list(user=user, current_partner=partner)
    proposals = target_proposals_awaiting(partners=own, side="partner")
    if show_payouts:
        counted["protection_claims"] = open_protection
        counted["statements"] = statements
    if show_proposals:
        counted["proposals"] = proposals
    counts = _counts(**counted)
    open_cases = _first_of(
        counts["open_cases"],
        cases.filter(ACTIVE_Q).select_related("partner", "owner").order_by("resolution_due", "id"),
    )
    unread = _first_of(
        counts["unread"],
        receipts.exclude(Exists(read))
        .select_related("announcement")
        .order_by("-announcement__published_at", "-id"),
    )
    awaiting_acknowledgement = _first_of(
        counts["pending_ack"],
        receipts.filter(pending_ack)
        .select_related("announcement")
        .order_by("announcement__acknowledge_by", "-announcement__published_at", "-id"),
    )
    for receipt in awaiting_acknowledgement:
        due = receipt.announcement.acknowledge_by
        receipt.is_overdue = due is not None and due < today

    next_review = next(
        iter(
            _first_of(
                counts["scheduled_reviews"],
                scheduled.select_related("organiser").order_by("scheduled_at", "id"),
                1,
            )
        ),
        None,
    )
    if next_review is not None:
        next_review.is_overdue = next_review.scheduled_at < today_start

    action_items = _action_item_rows(open_items, today=today, count=counts["action_items"])
    dashboard = PartnerDashboard(
        scorecard_row=scorecard_row,
        attainment_width=attainment_width,
        open_case_count=counts["open_cases"],
        breached_case_count=counts["breached"],
        open_cases=[(case, case_sla_state(case, now)) for case in open_cases],
        unread_count=counts["unread"],
        unread_announcements=[receipt.announcement for receipt in unread],
        acknowledgement_count=counts["pending_ack"],
        awaiting_acknowledgement=awaiting_acknowledgement,
        next_review=next_review,
        action_item_count=counts["action_items"],
        action_items_overdue_count=counts["action_items_overdue"],
        action_items=action_items,
    )
    if show_payouts:
        dashboard.trend = payout_trend(
            _first_of(
                counts["statements"],
                statements.select_related(None).only("id", "period", "total", "currency", "status"),
                PAYOUT_TREND_PERIODS,
            )
        )
    if show_deals:
        dashboard.pending_deal_count = counts["pending_deals"]
    if counts["fund_budgets"]:
        dashboard.fund_budgets = _fund_budgets(running_budgets)
    if dashboard.fund_budgets:
        dashboard.fund_available = sum((b.available for b in dashboard.fund_budgets), Decimal(0))
        dashboard.fund_currency = dashboard.fund_budgets[0].currency
    if show_payouts:
        dashboard.protection_claim_count = counts["protection_claims"]
        dashboard.protection_claims = _first_of(
            counts["protection_claims"],
            open_protection.select_related("product")
            .only(
                "id",
                "effective_date",
                "deadline",
                "new_net_price",
                "previous_net_price",
                "currency",
                "product__sku",
            )
            .order_by("deadline", "id"),
        )
        for claim in dashboard.protection_claims:
            claim.days_left = (claim.deadline - today).days
    if show_proposals:
        dashboard.awaiting_proposals = _first_of(counts["proposals"], proposals)
    return dashboard


def _fund_budgets(budgets: QuerySet[FundBudget]) -> list[FundBudget]:
    """`budgets` with their balances and funds (one query)."""
    return list(
        budgets_with_balance(budgets).select_related("fund").order_by("fund__end", "fund__code")
    )
