"""Reads behind the landing page: what needs vendor staff today across the partners they may see,
and where a partner organisation stands. A fixed number of queries whatever the row counts: the
tiles of one table come from one aggregate with conditional counts; a partner's dashboard reads
each short list in one query, the vendor dashboard every short list with rows in one statement."""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from agreements.models import Agreement
from commissions.charts import payout_trend
from commissions.models import Statement, StatementRollup
from commissions.rates import RateBook, ReportingTotal, reporting_total
from commissions.selectors import statement_list
from disputes.models import Case
from disputes.selectors import (
    ACTIVE_Q,
    AGE_BUCKETS,
    case_breached_q,
    case_past_deadline_q,
    case_visible_queryset,
)
from disputes.services import case_sla_state
from engagement.board import top_ideas_query
from engagement.health import quarter_label
from engagement.models import Post
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
    Membership,
    Partner,
)
from partners.periods import current_period
from partners.permissions import partner_scope_shape, partner_scope_stand_in
from partners.selectors import (
    ScorecardRow,
    event_feed_query,
    event_list,
    partner_visible_ids,
    partner_visible_queryset,
    target_current_annotate,
    target_current_row,
    target_proposals_awaiting,
)
from partners.selectors.directory import reading_scope_shape
from partners.selectors.reviews import local_day_start
from prm.core.access import Role
from prm.core.models import Event
from prm.core.prepared import PreparedCounts, PreparedQuery, Total, Within, read_together
from prm.core.tally import tally_slots

LIST_SIZE = 5
ACTION_ITEM_LIST_SIZE = 8
EVENT_LIST_SIZE = 8
REVIEW_HORIZON = dt.timedelta(days=14)
PAYOUT_TREND_PERIODS = 12


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
    """Counts and the first few rows of everything waiting on vendor staff, the newest events
    of their partners and the most-voted open ideas."""

    events: list[Event]
    top_ideas: list[Post]
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


# The drafts' number and sums by currency for who sees every partner, from the statements'
# rollup (whole hundredths, summed over its slots; a currency whose drafts have all gone has a
# count of 0).
_DRAFT_ROLLUP = PreparedQuery(
    lambda: (
        StatementRollup.objects.filter(status=Statement.Status.DRAFT)
        .order_by()
        .values_list("currency")
        .annotate(cents=Sum("total_cents"), statements=Sum("statement_count"))
        .filter(statements__gt=0)
        .values_list("currency", "cents", "statements")
    ),
    plan_once=True,
)


def _drafts(
    shape: tuple, user, counts: dict, rollup: list | None
) -> tuple[int, list[tuple[str, Decimal]]]:
    """The number of draft statements among the partners `user` sees (`shape`:
    partners.permissions.partner_scope_shape) and the sum of their totals by currency: over
    every partner both from `rollup`, the rows of _DRAFT_ROLLUP (the drafts left out of
    `counts`), otherwise the number from `counts` and, when there are drafts, the sums of the
    drafts themselves."""
    if shape[0] == "all":
        count = sum(statements for _currency, _cents, statements in rollup)
        return count, [(currency, Decimal(cents).scaleb(-2)) for currency, cents, _n in rollup]
    count = counts["draft_statements"]
    if not count:
        return 0, []
    sums = (
        _VendorScope(user)
        .draft_statements.order_by()
        .values_list("currency")
        .annotate(Sum("total"))
    )
    return count, list(sums)


class _VendorScope:
    """The querysets of the vendor dashboard over what `user` may see, each built when first
    used."""

    def __init__(self, user) -> None:
        self.user = user

    @cached_property
    def partner_ids(self):
        return partner_visible_ids(user=self.user)

    @cached_property
    def partners(self) -> QuerySet[Partner]:
        return partner_visible_queryset(user=self.user)

    @cached_property
    def cases(self) -> QuerySet[Case]:
        return case_visible_queryset(user=self.user)

    @cached_property
    def pending_deals(self) -> QuerySet[DealRegistration]:
        return _of_partners(
            DealRegistration.objects.filter(status=DealRegistration.Status.PENDING),
            self.partner_ids,
        ).order_by("created_at", "id")

    @cached_property
    def proposals(self) -> QuerySet:
        return target_proposals_awaiting(partners=self.partners, side="vendor")

    @cached_property
    def expiring(self) -> QuerySet[Agreement]:
        return _of_partners(
            Agreement.objects.filter(status=Agreement.Status.EXPIRING), self.partner_ids
        ).order_by("end", "number")

    @cached_property
    def draft_statements(self) -> QuerySet[Statement]:
        return _of_partners(
            Statement.objects.filter(status=Statement.Status.DRAFT), self.partner_ids
        ).order_by("period_start", "partner__code")

    @cached_property
    def flagged(self) -> QuerySet[Partner]:
        return self.partners.filter(FLAGGED_Q).order_by("-overdue_receivables", "code")

    @cached_property
    def reviews(self) -> QuerySet[BusinessReview]:
        return _of_partners(
            BusinessReview.objects.filter(status=BusinessReview.Status.SCHEDULED),
            self.partner_ids,
        )

    @cached_property
    def open_items(self) -> QuerySet[ActionItem]:
        return _of_partners(ActionItem.objects.filter(done_at__isnull=True), self.partner_ids)

    def budgets(self) -> QuerySet:
        return _of_partners(FundBudget.objects.all(), self.partner_ids).values("pk")

    # The short lists, by name (see _vendor_rows).

    def breached_rows(self, *, now: dt.datetime) -> QuerySet[Case]:
        return (
            self.cases.filter(case_breached_q(now=now))
            .select_related("partner", "owner")
            .only(*CASE_ROW_FIELDS)
            .order_by("created_at", "id")
        )

    def pending_deal_rows(self) -> QuerySet[DealRegistration]:
        return self.pending_deals.select_related("partner").only(
            "id", "customer_name", "estimated_value", "currency", "partner__code"
        )

    def proposal_rows(self) -> QuerySet:
        return self.proposals.only(
            "id", "amount", "target__period", "target__currency", "target__partner__code"
        )

    def expiring_rows(self) -> QuerySet[Agreement]:
        return self.expiring.select_related("partner").only("id", "number", "end", "partner__code")

    def review_rows(self, *, horizon: dt.datetime) -> QuerySet[BusinessReview]:
        # Overdue and due reviews together are the scheduled ones before the horizon.
        return (
            self.reviews.filter(scheduled_at__lt=horizon)
            .select_related("partner")
            .only("id", "scheduled_at", "partner__code", "partner__name", "partner__local_name")
            .order_by("scheduled_at", "id")
        )

    def draft_statement_rows(self, *, after: dt.date) -> QuerySet[Statement]:
        # One period at a time: the drafts of the first period after `after` that has any, by
        # partner code. Ordering every draft by period and code would join and sort them all.
        first = (
            self.draft_statements.filter(period_start__gt=after)
            .order_by("period_start")
            .values("period_start")[:1]
        )
        return (
            self.draft_statements.filter(period_start=Subquery(first))
            .select_related("partner")
            .only("id", "period", "period_start", "total", "currency", "partner__code")
            .order_by("partner__code")
        )

    def flagged_rows(self) -> QuerySet[Partner]:
        return self.flagged.only(*FLAGGED_ROW_FIELDS)

    def action_item_rows(self) -> QuerySet[ActionItem]:
        return _action_item_queryset(self.open_items)


def _age_bounds(now: dt.datetime) -> dict[str, dt.datetime]:
    """The instants that bound the case age buckets at `now`: `age_<key>_newest`, the latest
    creation in the bucket, and `age_<key>_oldest`, the creation it stays after (none for the
    last bucket)."""
    bounds = {}
    for key, start, end in AGE_BUCKETS:
        bounds[f"age_{key}_newest"] = now - dt.timedelta(days=start)
        if end is not None:
            bounds[f"age_{key}_oldest"] = now - dt.timedelta(days=end)
    return bounds


def _vendor_counted(
    *, shape: tuple, quarter_day: dt.date, user: int, now, today, today_start, horizon, **ages
) -> dict[str, QuerySet | Within]:
    """The querysets the vendor dashboard counts for the user of id `user` whose partner scope
    has the shape `shape`, at `now` (`today` starting at `today_start`, the review horizon at
    `horizon`, the age buckets bounded by `ages`, see _age_bounds) in the quarter of
    `quarter_day`."""
    stand_in = partner_scope_stand_in(shape, user)
    scope = _VendorScope(stand_in)
    active_cases = scope.cases.filter(ACTIVE_Q)
    counted = {
        # Among the active cases, those past a deadline: the columns of the active cases' index.
        "breached": Within(active_cases, case_past_deadline_q(now=now)),
        "escalated": Within(active_cases, Q(escalated_at__isnull=False)),
        "open_cases": Within(active_cases),
    }
    for key, _start, end in AGE_BUCKETS:
        condition = Q(created_at__lte=ages[f"age_{key}_newest"])
        if end is not None:
            condition &= Q(created_at__gt=ages[f"age_{key}_oldest"])
        counted[f"age_{key}"] = Within(active_cases, condition)
    open_items = scope.open_items
    overdue_reviews = Q(scheduled_at__lt=today_start)
    due_reviews = Q(scheduled_at__gte=today_start, scheduled_at__lt=horizon)
    if shape[0] == "all":
        # Over every partner the pending deals, open items and flagged partners are the
        # tallies the database keeps, the open items not yet due (the overdue ones are the
        # others: _vendor_counts) and the overdue and due reviews ranges of their indexes by
        # date, and the draft statements come from their rollup (_drafts). Overdue items pile
        # up while those not yet due stay within the reviews' horizon: the fewer index entries
        # are read.
        counted |= {
            "pending_deals": Total(tally_slots(DealRegistration.PENDING_TALLY), "total"),
            "action_items": Total(tally_slots(ActionItem.OPEN_TALLY), "total"),
            "flagged": Total(tally_slots(Partner.FLAGGED_TALLY), "total"),
            "action_items_not_due": open_items.filter(due_on__gte=today),
            "reviews_overdue": scope.reviews.filter(overdue_reviews),
            "reviews_due": scope.reviews.filter(due_reviews),
        }
    else:
        counted |= {
            "pending_deals": scope.pending_deals,
            "action_items": Within(open_items),
            "action_items_overdue": Within(open_items, Q(due_on__lt=today)),
            "draft_statements": scope.draft_statements,
            "flagged": scope.flagged,
            "reviews_overdue": Within(scope.reviews, overdue_reviews),
            "reviews_due": Within(scope.reviews, due_reviews),
        }
    return counted | {
        "proposals": scope.proposals,
        "expiring": scope.expiring,
        "fund_requests": FundRequest.objects.filter(
            status=FundRequest.Status.PENDING, budget__in=scope.budgets()
        ),
        "fund_claims": FundClaim.objects.filter(
            status=FundClaim.Status.SUBMITTED, request__budget__in=scope.budgets()
        ),
        "protection_claims": _of_partners(
            PriceProtectionClaim.objects.filter(status=PriceProtectionClaim.Status.SUBMITTED),
            scope.partner_ids,
        ),
        "falling": falling_partners_queryset(user=stand_in, today=quarter_day),
    }


# The arguments of the short lists (_VendorScope's row methods) that are days; the others are
# instants.
_DAY_ARGUMENTS = frozenset({"after"})


@functools.cache
def _vendor_rows_query(name: str, shape: tuple, size: int) -> PreparedQuery:
    """The first `size` rows of the short list `name` (a `_VendorScope` method) for users whose
    partner scope has the shape `shape`, compiled once. Over every partner no list depends on
    the user; otherwise the user's id is a placeholder."""
    method = getattr(_VendorScope, name)
    at = tuple(inspect.signature(method).parameters)[1:]
    days = tuple(name for name in at if name in _DAY_ARGUMENTS)
    instants = tuple(name for name in at if name not in _DAY_ARGUMENTS)

    def build(user: int | None = None, **at) -> QuerySet:
        return method(_VendorScope(partner_scope_stand_in(shape, user)), **at)[:size]

    ids = () if shape[0] == "all" else ("user",)
    return PreparedQuery(build, *ids, dates=days, datetimes=instants, plan_once=True)


def _vendor_rows_read(name: str, shape: tuple, user, size: int, **at) -> tuple[PreparedQuery, dict]:
    """The query of the first `size` rows of the short list `name` for `user`, whose partner
    scope has the shape `shape`, and the values to run it with: the instants `at` the list
    takes."""
    ids = {} if shape[0] == "all" else {"user": user.pk}
    return _vendor_rows_query(name, shape, size), {**ids, **at}


def _vendor_rows(name: str, shape: tuple, user, size: int, **at) -> list:
    """The first `size` rows of the short list `name` for `user`, whose partner scope has the
    shape `shape`, at the instants `at` the list takes."""
    query, values = _vendor_rows_read(name, shape, user, size, **at)
    return query(**values)


# The vendor dashboard's counts by the shape of the user's partner scope and the quarter.
_VENDOR_COUNTS: dict[tuple, PreparedCounts] = {}


def _vendor_counts(
    user, shape: tuple, *, now: dt.datetime, today: dt.date, today_start: dt.datetime
) -> dict:
    """Every count of the vendor dashboard of `user`, whose partner scope is read by the shape
    `shape` (partners.selectors.directory.reading_scope_shape), at `now`, in one query compiled
    once per process for each shape and quarter."""
    ages = _age_bounds(now)
    key = (shape, quarter_label(today))
    prepared = _VENDOR_COUNTS.get(key)
    if prepared is None:
        prepared = _VENDOR_COUNTS[key] = PreparedCounts(
            functools.partial(_vendor_counted, shape=key[0], quarter_day=today),
            "user",
            dates=("today",),
            datetimes=("now", "today_start", "horizon", *ages),
        )
    counts = prepared(
        user=user.pk,
        now=now,
        today=today,
        today_start=today_start,
        horizon=now + REVIEW_HORIZON,
        **ages,
    )
    if "action_items_not_due" in counts:
        counts["action_items_overdue"] = counts["action_items"] - counts.pop("action_items_not_due")
    return counts


def _draft_statement_rows(shape: tuple, user, count: int, first: list) -> list[Statement]:
    """The first of the `count` draft statements `user` may see, by period and partner code,
    from `first`, those of the first period (at most LIST_SIZE): the next periods read a period
    at a time when the first has too few."""
    drafts: list[Statement] = []
    batch = first if count else []
    while batch:
        drafts.extend(batch)
        if len(drafts) >= min(count, LIST_SIZE):
            break
        after = batch[-1].period_start
        batch = _vendor_rows("draft_statement_rows", shape, user, LIST_SIZE, after=after)
    return drafts[:LIST_SIZE]


def _vendor_events(user) -> list[Event]:
    """The newest events of the partners `user`, vendor staff, sees, when no compiled query
    covers their partner scope."""
    role = Role.VENDOR_ADMIN if user.is_vendor_admin else Role.CHANNEL_MANAGER
    return event_list(user=user, role=role, limit=EVENT_LIST_SIZE)


def vendor_dashboard(*, user, now: dt.datetime) -> VendorDashboard:
    """What needs `user` (vendor admin or channel manager) today, over the partners and cases
    they may see, with the newest events of those partners and the most-voted open ideas.
    Overdue business reviews are scheduled ones whose time has passed; reviews due are those in
    the next 14 days. Breached cases follow disputes.selectors.case_breached_q.

    Every count is read in one query (over every partner, the drafts' with their sums from the
    statements' rollup, read with the lists); the short lists whose counts are not 0, the
    events and the ideas are read together in one more, each list reading only the columns it
    shows."""
    today = timezone.localdate(now)
    today_start = local_day_start(today)
    shape = reading_scope_shape(user)
    counts = _vendor_counts(user, shape, now=now, today=today, today_start=today_start)
    everyone = shape[0] == "all"
    reads: dict[str, tuple[PreparedQuery, dict]] = {}

    def want(name: str, count: int, size: int = LIST_SIZE, **at) -> None:
        if count:
            reads[name] = _vendor_rows_read(name, shape, user, size, **at)

    want("breached_rows", counts["breached"], now=now)
    want("pending_deal_rows", counts["pending_deals"])
    want("proposal_rows", counts["proposals"])
    want("expiring_rows", counts["expiring"])
    want(
        "review_rows",
        counts["reviews_overdue"] + counts["reviews_due"],
        horizon=now + REVIEW_HORIZON,
    )
    if everyone:
        # The drafts' number comes with their sums: the first period's drafts are read beside.
        reads["draft_rollup"] = (_DRAFT_ROLLUP, {})
    want(
        "draft_statement_rows",
        1 if everyone else counts["draft_statements"],
        after=dt.date.min,
    )
    want("flagged_rows", counts["flagged"])
    want("action_item_rows", counts["action_items"], ACTION_ITEM_LIST_SIZE)
    feed = event_feed_query(user=user, limit=EVENT_LIST_SIZE)
    if feed is not None:
        reads["events"] = feed
    reads["top_ideas"] = top_ideas_query(limit=LIST_SIZE)
    read = dict(zip(reads, read_together(list(reads.values())), strict=True))

    breached_cases = read.get("breached_rows", [])
    for case in breached_cases:
        case.age_days = _case_age_days(case, now)
    pending_deals = read.get("pending_deal_rows", [])
    awaiting_proposals = read.get("proposal_rows", [])
    expiring_agreements = read.get("expiring_rows", [])
    for agreement in expiring_agreements:
        agreement.days_left = (agreement.end - today).days
    reviews_due = read.get("review_rows", [])
    for review in reviews_due:
        review.is_overdue = review.scheduled_at < today_start
    draft_count, draft_sums = _drafts(shape, user, counts, read.get("draft_rollup"))
    draft_statements = _draft_statement_rows(
        shape, user, draft_count, read.get("draft_statement_rows", [])
    )
    flagged_partners = read.get("flagged_rows", [])
    action_items = read.get("action_item_rows", [])
    for item in action_items:
        item.is_overdue = item.due_on < today
    # The drafts of every partner in several currencies: one total in the reporting currency
    # (nothing to read, rates included, when there is no draft or every draft is in that
    # currency).
    if any(currency != settings.PRM_REPORTING_CURRENCY for currency, _sum in draft_sums):
        draft_statement_total = reporting_total(draft_sums, day=today)
    else:
        draft_statement_total = reporting_total(draft_sums, day=today, book=RateBook([]))
    return VendorDashboard(
        events=read["events"] if feed is not None else _vendor_events(user),
        top_ideas=read["top_ideas"],
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
        draft_statement_count=draft_count,
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


# The columns of the partner dashboard's open cases (number, subject, status and the SLA
# countdowns), announcements (title, category, days) and next business review.
OPEN_CASE_ROW_FIELDS = (
    "id",
    "subject",
    "status",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "paused_at",
)
RECEIPT_ROW_FIELDS = (
    "id",
    "announcement",
    "announcement__title",
    "announcement__local_title",
    "announcement__category",
    "announcement__acknowledge_by",
    "announcement__published_at",
)
REVIEW_ROW_FIELDS = (
    "id",
    "scheduled_at",
    "location",
    "organiser",
    "organiser__full_name",
    "organiser__email",
)


def _action_item_queryset(open_items: QuerySet) -> QuerySet[ActionItem]:
    """`open_items` in the order and with the columns the action item list shows."""
    return (
        open_items.select_related("partner", "owner")
        .only(*ACTION_ITEM_ROW_FIELDS)
        .order_by("due_on", "id")
    )


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


class _PartnerScope:
    """The querysets of the dashboard of `partner` for `user`, a member of it (`membership`, the
    user's active membership of it, None without one), each built when first used."""

    def __init__(self, user, partner: Partner, membership) -> None:
        self.user = user
        self.partner = partner
        self.membership = membership

    @cached_property
    def own(self) -> QuerySet[Partner]:
        return partner_visible_queryset(user=self.user, current_partner=self.partner)

    @cached_property
    def cases(self) -> QuerySet[Case]:
        return case_visible_queryset(
            user=self.user, current_partner=self.partner, membership=self.membership
        )

    @cached_property
    def receipts(self) -> QuerySet[AnnouncementRecipient]:
        return AnnouncementRecipient.objects.filter(
            partner=self.partner, announcement__published_at__isnull=False
        )

    def unread(self) -> QuerySet[AnnouncementRecipient]:
        read = AnnouncementRead.objects.filter(
            announcement=OuterRef("announcement"), user=self.user
        )
        return self.receipts.exclude(Exists(read))

    def pending_ack(self) -> QuerySet[AnnouncementRecipient]:
        return self.receipts.filter(
            announcement__requires_acknowledgement=True, acknowledged_at__isnull=True
        )

    @cached_property
    def open_items(self) -> QuerySet[ActionItem]:
        return ActionItem.objects.filter(partner=self.partner, done_at__isnull=True)

    @cached_property
    def scheduled(self) -> QuerySet[BusinessReview]:
        return BusinessReview.objects.filter(
            partner=self.partner, status=BusinessReview.Status.SCHEDULED
        )

    def running_budgets(self, today: dt.date) -> QuerySet[FundBudget]:
        return FundBudget.objects.filter(partner=self.partner, fund__end__gte=today)

    @cached_property
    def open_protection(self) -> QuerySet[PriceProtectionClaim]:
        return PriceProtectionClaim.objects.filter(
            partner=self.partner, status=PriceProtectionClaim.Status.OPEN
        )

    @cached_property
    def statements(self) -> QuerySet[Statement]:
        return statement_list(user=self.user, current_partner=self.partner)

    @cached_property
    def proposals(self) -> QuerySet:
        return target_proposals_awaiting(partners=self.own, side="partner")

    # The short lists, by name (see _partner_rows).

    def open_case_rows(self) -> QuerySet[Case]:
        return (
            self.cases.filter(ACTIVE_Q)
            .select_related(None)
            .only(*OPEN_CASE_ROW_FIELDS)
            .order_by("resolution_due", "id")
        )

    def unread_rows(self) -> QuerySet[AnnouncementRecipient]:
        return (
            self.unread()
            .select_related("announcement")
            .only(*RECEIPT_ROW_FIELDS)
            .order_by("-announcement__published_at", "-id")
        )

    def acknowledgement_rows(self) -> QuerySet[AnnouncementRecipient]:
        return (
            self.pending_ack()
            .select_related("announcement")
            .only(*RECEIPT_ROW_FIELDS)
            .order_by("announcement__acknowledge_by", "-announcement__published_at", "-id")
        )

    def review_rows(self) -> QuerySet[BusinessReview]:
        return (
            self.scheduled.select_related("organiser")
            .only(*REVIEW_ROW_FIELDS)
            .order_by("scheduled_at", "id")
        )

    def action_item_rows(self) -> QuerySet[ActionItem]:
        return _action_item_queryset(self.open_items)

    def statement_rows(self) -> QuerySet[Statement]:
        return self.statements.select_related(None).only(
            "id", "period", "total", "currency", "status"
        )

    def protection_claim_rows(self) -> QuerySet[PriceProtectionClaim]:
        return (
            self.open_protection.select_related("product")
            .only(
                "id",
                "effective_date",
                "deadline",
                "new_net_price",
                "previous_net_price",
                "currency",
                "product__sku",
            )
            .order_by("deadline", "id")
        )

    def proposal_rows(self) -> QuerySet:
        return self.proposals


def _partner_stand_in_scope(shape: tuple, role: str | None, user: int, partner: int):
    """The scope of the dashboard of the partner of id `partner` for the user of id `user`,
    whose partner scope has the shape `shape`, a member of it in the role `role` (None: no
    active membership): the querysets of every such user, with the ids in place."""
    membership = None
    if role is not None:
        membership = Membership(user_id=user, partner_id=partner, role=role, is_active=True)
    return _PartnerScope(partner_scope_stand_in(shape, user), Partner(pk=partner), membership)


@functools.cache
def _partner_rows_query(name: str, shape: tuple, role: str | None, size: int) -> PreparedQuery:
    """The first `size` rows of the short list `name` (a `_PartnerScope` method) of a partner's
    dashboard for users whose partner scope has the shape `shape` and whose role in the partner
    is `role`, compiled once, the partner's id and the user's (for the lists that depend on the
    user) placeholders."""
    method = getattr(_PartnerScope, name)

    def build(user: int, partner: int) -> QuerySet:
        return method(_partner_stand_in_scope(shape, role, user, partner))[:size]

    return PreparedQuery(build, "user", "partner", optional=("user",), plan_once=True)


def _partner_counted(
    *, shape: tuple, role: str | None, shown: frozenset, user: int, partner: int, now, today
) -> dict[str, QuerySet]:
    """The querysets the dashboard of the partner of id `partner` counts for the user of id
    `user`, whose partner scope has the shape `shape`, a member of it in the role `role` (None:
    no active membership), at `now` on `today`. `shown` holds what the user's role sees of "deals",
    "payouts" and "proposals"."""
    scope = _partner_stand_in_scope(shape, role, user, partner)
    counted = {
        "open_cases": scope.cases.filter(ACTIVE_Q),
        "breached": scope.cases.filter(case_breached_q(now=now)),
        "unread": scope.unread(),
        "pending_ack": scope.pending_ack(),
        "action_items": scope.open_items,
        "action_items_overdue": scope.open_items.filter(due_on__lt=today),
        "scheduled_reviews": scope.scheduled,
        "fund_budgets": scope.running_budgets(today),
    }
    if "deals" in shown:
        counted["pending_deals"] = DealRegistration.objects.filter(
            partner__in=scope.own, status=DealRegistration.Status.PENDING
        )
    if "payouts" in shown:
        counted["protection_claims"] = scope.open_protection
        counted["statements"] = scope.statements
    if "proposals" in shown:
        counted["proposals"] = scope.proposals
    return counted


# The partner dashboard's counts by the shape of the user's partner scope, their role in the
# partner and what that role sees.
_PARTNER_COUNTS: dict[tuple, PreparedCounts] = {}


def _partner_counts(user, partner, membership, shown: frozenset, **at) -> dict[str, int]:
    """Every count of the dashboard of `partner` for `user` (`membership`, their active
    membership of it, or None), showing `shown`, at `at` (`now` and `today`)."""
    role = None if membership is None else membership.role
    key = (partner_scope_shape(user), role, shown)
    prepared = _PARTNER_COUNTS.get(key)
    if prepared is None:
        prepared = _PARTNER_COUNTS[key] = PreparedCounts(
            functools.partial(_partner_counted, shape=key[0], role=role, shown=shown),
            "user",
            "partner",
            dates=("today",),
            datetimes=("now",),
        )
    return prepared(user=user.pk, partner=partner.pk, **at)


@functools.lru_cache(maxsize=4)
def _partner_facts_query(period: str) -> PreparedQuery:
    """A partner's tier and account manager (the columns of their names and the manager's
    address) with its target of `period` and the net sales of that period
    (partners.selectors.target_current_annotate), compiled once."""
    return PreparedQuery(
        lambda partner: target_current_annotate(
            Partner.objects.select_related("tier", "account_manager")
            .only(
                "id",
                "tier__name",
                "tier__local_name",
                "account_manager__full_name",
                "account_manager__email",
            )
            .filter(pk=partner),
            period,
        ),
        "partner",
        plan_once=True,
    )


def _partner_facts(partner: Partner) -> ScorecardRow | None:
    """Read the partner's tier and account manager, which the dashboard shows, onto `partner`,
    and give the scorecard row of this period (partners.selectors.target_scorecard_current):
    one query."""
    period = current_period()
    (loaded,) = _partner_facts_query(period)(partner=partner.pk)
    partner.tier = loaded.tier
    partner.account_manager = loaded.account_manager
    return target_current_row(loaded, period)


def _membership_of(user, partner: Partner, membership):
    """`membership` when it is `user`'s active membership of `partner`, else that membership
    looked up (None without one)."""
    if (
        membership is not None
        and membership.is_active
        and membership.user_id == user.pk
        and membership.partner_id == partner.pk
    ):
        return membership
    return user.memberships.filter(partner=partner, is_active=True).first()


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
    published to the partner that this user has not opened. The partner's tier and account
    manager are read onto `partner` with the current target and its sales (one query).

    Every count is read in one query, compiled once per process for each kind of user."""
    today = timezone.localdate(now)
    today_start = local_day_start(today)
    scorecard_row = _partner_facts(partner)
    attainment = scorecard_row.attainment if scorecard_row else None
    attainment_width = (
        None if attainment is None else int(min(max(attainment, Decimal("0")), Decimal("100")))
    )
    membership = _membership_of(user, partner, membership)
    scope = _PartnerScope(user, partner, membership)
    shown = frozenset(
        name
        for name, show in (
            ("deals", show_deals),
            ("payouts", show_payouts),
            ("proposals", show_proposals),
        )
        if show
    )
    counts = _partner_counts(user, partner, membership, shown, now=now, today=today)
    key = (partner_scope_shape(user), None if membership is None else membership.role)

    def rows(name: str, count: int, size: int = LIST_SIZE) -> list:
        if not count:
            return []
        return _partner_rows_query(name, *key, size)(user=user.pk, partner=partner.pk)

    open_cases = rows("open_case_rows", counts["open_cases"])
    unread = rows("unread_rows", counts["unread"])
    awaiting_acknowledgement = rows("acknowledgement_rows", counts["pending_ack"])
    for receipt in awaiting_acknowledgement:
        due = receipt.announcement.acknowledge_by
        receipt.is_overdue = due is not None and due < today

    next_review = next(iter(rows("review_rows", counts["scheduled_reviews"], 1)), None)
    if next_review is not None:
        next_review.is_overdue = next_review.scheduled_at < today_start

    action_items = rows("action_item_rows", counts["action_items"], ACTION_ITEM_LIST_SIZE)
    for item in action_items:
        item.is_overdue = item.due_on < today
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
            rows("statement_rows", counts["statements"], PAYOUT_TREND_PERIODS)
        )
    if show_deals:
        dashboard.pending_deal_count = counts["pending_deals"]
    if counts["fund_budgets"]:
        dashboard.fund_budgets = _fund_budgets(scope.running_budgets(today))
    if dashboard.fund_budgets:
        dashboard.fund_available = sum((b.available for b in dashboard.fund_budgets), Decimal(0))
        dashboard.fund_currency = dashboard.fund_budgets[0].currency
    if show_payouts:
        dashboard.protection_claim_count = counts["protection_claims"]
        dashboard.protection_claims = rows("protection_claim_rows", counts["protection_claims"])
        for claim in dashboard.protection_claims:
            claim.days_left = (claim.deadline - today).days
    if show_proposals:
        dashboard.awaiting_proposals = rows("proposal_rows", counts["proposals"])
    return dashboard


def _fund_budgets(budgets: QuerySet[FundBudget]) -> list[FundBudget]:
    """`budgets` with their balances and funds (one query)."""
    return list(
        budgets_with_balance(budgets).select_related("fund").order_by("fund__end", "fund__code")
    )
