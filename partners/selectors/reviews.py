"""Reads of business reviews and their action items, scoped through the partners the user may
see, and the scorecard a review looks at (live until the review is held, then a snapshot)."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from prm.core.money import quantize
from prm.core.prepared import PreparedPages, PreparedQuery

from ..models import (
    CADENCE_MONTHS,
    ActionItem,
    BusinessReview,
    Cadence,
    DealRegistration,
    Membership,
    Partner,
    Target,
)
from ..periods import period_of
from .directory import (
    SCOPE_IDS,
    counted_in_scope,
    partner_scope,
    partner_vendor_staff,
    partner_visible_ids,
    partner_visible_queryset,
    scoped_partner_ids,
)
from .targets import target_scorecard

# Agreements whose terms in force set a partner's review cadence.
_LIVE_AGREEMENT_STATUSES = ("active", "expiring")


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, clamped to the end of a shorter month (31 Jan + 1 → 28 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def review_cadence_for(*, partner: Partner, on: dt.date | None = None) -> str:
    """The review cadence of the partner's agreement version in force on `on` (the latest one in
    force when several live agreements have one), else quarterly."""
    on = on or timezone.localdate()
    version_model = apps.get_model("agreements", "AgreementVersion")
    cadence = (
        version_model.objects.filter(
            agreement__partner=partner,
            agreement__status__in=_LIVE_AGREEMENT_STATUSES,
            status=version_model.Status.ACCEPTED,
            in_force_from__lte=on,
        )
        .order_by("-in_force_from", "-number", "-pk")
        .values_list("review_cadence", flat=True)
        .first()
    )
    return cadence if cadence in Cadence.values else Cadence.QUARTERLY


def _overdue_annotation(now: dt.datetime):
    return _overdue_case(local_day_start(timezone.localdate(now)))


def _overdue_case(today_start: dt.datetime):
    return CaseWhen(
        When(
            status=BusinessReview.Status.SCHEDULED,
            scheduled_at__lt=today_start,
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def _open_items():
    """How many of a review's action items are not done yet, counted per review (the database
    counts them for the rows of the page only)."""
    items = (
        ActionItem.objects.filter(review=OuterRef("pk"), done_at__isnull=True)
        .order_by()
        .values("review")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(items), 0)


def review_is_overdue(review: BusinessReview, *, now: dt.datetime | None = None) -> bool:
    """Scheduled, and its day has passed without it being marked held."""
    now = now or timezone.now()
    return review.status == BusinessReview.Status.SCHEDULED and timezone.localdate(
        review.scheduled_at
    ) < timezone.localdate(now)


def review_visible_queryset(*, user, current_partner: Partner | None = None) -> QuerySet:
    """Reviews of the partners `user` may see (their own organisation's for partner users)."""
    partners = partner_visible_queryset(user=user, current_partner=current_partner)
    return BusinessReview.objects.filter(partner__in=partners)


# The list's status filter: "scheduled" covers upcoming and overdue reviews.
REVIEW_STATUS_FILTERS = ["scheduled", "overdue", "held", "cancelled", "all"]


def review_list(
    *,
    user,
    current_partner: Partner | None = None,
    status: str = "all",
    now: dt.datetime | None = None,
) -> QuerySet:
    """Reviews for the list page with the partner, organiser, overdue flag and count of open
    action items (one query per page). Scheduled reviews come soonest first, others
    latest first."""
    now = now or timezone.now()
    visible = partner_visible_ids(user=user, current_partner=current_partner)
    qs = BusinessReview.objects.all()
    if visible is not None:
        qs = qs.filter(partner_id__in=visible)
    qs = qs.annotate(is_overdue=_overdue_annotation(now), open_items=_open_items())
    if status == "overdue":
        qs = qs.filter(
            status=BusinessReview.Status.SCHEDULED,
            scheduled_at__lt=local_day_start(timezone.localdate(now)),
        )
    elif status in BusinessReview.Status.values:
        qs = qs.filter(status=status)
    ordering = _review_ordering(status)
    return qs.select_related("partner", "organiser").order_by(*ordering)


# What a row of the review list shows.
REVIEW_ROW_FIELDS = (
    "scheduled_at",
    "status",
    "cadence",
    "location",
    "partner__code",
    "partner__name",
    "partner__local_name",
    "organiser__full_name",
    "organiser__email",
)


@functools.lru_cache(maxsize=32)
def _review_page_queries(scope: str, status: str) -> tuple[PreparedQuery, PreparedQuery]:
    """The review list's rows (REVIEW_ROW_FIELDS, the overdue flag and the open action items)
    and their count for the partners of `scope` (a kind of `partner_scope`) and a status
    filter, compiled once. The rows take the start of the local day (`today_start`); the
    count takes it for the overdue filter only."""

    def reviews(today_start: dt.datetime | None, **ids: int) -> QuerySet:
        partner_ids = scoped_partner_ids(scope, **ids)
        qs = of_status(today_start)
        return qs if partner_ids is None else qs.filter(partner_id__in=partner_ids)

    def of_status(today_start: dt.datetime | None) -> QuerySet:
        qs = BusinessReview.objects.all()
        if status == "overdue":
            qs = qs.filter(status=BusinessReview.Status.SCHEDULED, scheduled_at__lt=today_start)
        elif status in BusinessReview.Status.values:
            qs = qs.filter(status=status)
        return qs

    def rows(today_start: dt.datetime, **ids: int) -> QuerySet:
        return (
            reviews(today_start, **ids)
            .annotate(is_overdue=_overdue_case(today_start), open_items=_open_items())
            .select_related("partner", "organiser")
            .only(*REVIEW_ROW_FIELDS)
            .order_by(*_review_ordering(status))
        )

    def count(today_start: dt.datetime | None = None, **ids: int) -> QuerySet:
        return counted_in_scope(of_status(today_start), scope, **ids)

    names = SCOPE_IDS[scope]
    return (
        PreparedQuery(rows, *names, datetimes=("today_start",), plan_once=True),
        PreparedQuery(
            count,
            *names,
            datetimes=("today_start",) if status == "overdue" else (),
            plan_once=True,
        ),
    )


def review_list_pages(
    *,
    user,
    current_partner: Partner | None = None,
    status: str = "all",
    now: dt.datetime | None = None,
) -> PreparedPages | list[BusinessReview]:
    """The reviews of `review_list(...)` for a Paginator, with the columns of the list's rows
    (REVIEW_ROW_FIELDS): their SQL is compiled once per status filter and kind of scope."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return []
    kind, ids = scope
    rows, count = _review_page_queries(kind, status)
    today_start = local_day_start(timezone.localdate(now or timezone.now()))
    rows_ids = {**ids, "today_start": today_start}
    count_ids = rows_ids if status == "overdue" else ids
    return PreparedPages(rows, count, rows_ids, count_ids=count_ids)


def _review_ordering(status: str) -> list:
    """Scheduled reviews soonest first, others latest first; with every status, the scheduled
    ones come first."""
    if status in ("scheduled", "overdue"):
        return ["scheduled_at", "id"]
    latest_first = [F("scheduled_at").desc(), F("id").desc()]
    if status in BusinessReview.Status.values:
        return latest_first
    return [
        CaseWhen(
            When(status=BusinessReview.Status.SCHEDULED, then=Value(0)),
            default=Value(1),
        ).asc(),
        *latest_first,
    ]


def review_get(*, user, pk: int, current_partner: Partner | None = None) -> BusinessReview:
    """One review, or 404 outside the user's reach."""
    try:
        return (
            review_visible_queryset(user=user, current_partner=current_partner)
            .select_related("partner", "partner__account_manager", "organiser")
            .get(pk=pk)
        )
    except BusinessReview.DoesNotExist as exc:
        raise Http404 from exc


def action_item_list(*, review: BusinessReview) -> list[ActionItem]:
    return list(
        review.action_items.select_related("owner", "done_by").order_by("done_at", "due_on", "id")
    )


def action_item_get(*, review: BusinessReview, pk: int) -> ActionItem:
    try:
        return ActionItem.objects.select_related("owner", "done_by", "review", "partner").get(
            pk=pk, review=review
        )
    except ActionItem.DoesNotExist as exc:
        raise Http404 from exc


def action_item_owner_choices(*, partner: Partner) -> QuerySet:
    """Who may own an action item of `partner`'s review: vendor staff who can see the partner
    and the partner's active members."""
    user_model = get_user_model()
    members = Membership.objects.filter(partner=partner, is_active=True).values("user_id")
    staff = partner_vendor_staff(partner=partner).values("pk")
    return (
        user_model.objects.filter(is_active=True)
        .filter(Q(pk__in=staff) | Q(pk__in=members))
        .order_by("vendor_role", "full_name", "email")
    )


def review_next_for_partner(*, partner: Partner) -> BusinessReview | None:
    return (
        partner.reviews.filter(status=BusinessReview.Status.SCHEDULED)
        .select_related("organiser")
        .order_by("scheduled_at")
        .first()
    )


# For dashboards and the partner page.


def review_upcoming_list(
    *, partners: QuerySet[Partner], within_days: int = 30, now: dt.datetime | None = None
) -> list[BusinessReview]:
    """Scheduled reviews of `partners` from today up to `within_days` ahead, soonest first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return list(
        BusinessReview.objects.filter(
            partner__in=partners,
            status=BusinessReview.Status.SCHEDULED,
            scheduled_at__gte=local_day_start(today),
            scheduled_at__lt=local_day_start(today + dt.timedelta(days=within_days + 1)),
        )
        .select_related("partner", "organiser")
        .order_by("scheduled_at", "id")
    )


def review_overdue_count(*, partners: QuerySet[Partner], now: dt.datetime | None = None) -> int:
    """Scheduled reviews of `partners` whose day has passed without being held."""
    now = now or timezone.now()
    return BusinessReview.objects.filter(
        partner__in=partners,
        status=BusinessReview.Status.SCHEDULED,
        scheduled_at__lt=local_day_start(timezone.localdate(now)),
    ).count()


def action_item_open_list(
    *, partners: QuerySet[Partner] | list[Partner], limit: int = 10
) -> list[ActionItem]:
    """Open action items of `partners`, earliest due first."""
    return list(
        ActionItem.objects.filter(partner__in=partners, done_at__isnull=True)
        .select_related("partner", "owner", "review")
        .order_by("due_on", "id")[:limit]
    )


# The scorecard a review looks at.


def review_period(review: BusinessReview) -> tuple[dt.date, dt.date]:
    """The whole months a review looks back on: the cadence's months before the month it takes
    place in (a quarterly review on 15 April covers January to March)."""
    day = timezone.localdate(review.held_at or review.scheduled_at)
    months = CADENCE_MONTHS.get(Cadence(review.cadence), 3)
    first_of_month = day.replace(day=1)
    return add_months(first_of_month, -months), first_of_month - dt.timedelta(days=1)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _money(value: Decimal | None, currency: str) -> str | None:
    """An amount as text at the currency's minor unit, whatever the database's sum returned."""
    return None if value is None else str(quantize(Decimal(value), currency))


def _sales(partner: Partner, start: dt.date, end: dt.date) -> dict[str, Any]:
    periods = set()
    month = start
    while month <= end:
        periods.add(period_of(month))
        month = add_months(month, 1)
    card = target_scorecard(partner=partner, limit=36)
    rows = sorted(
        (row for row in card.rows if row.period in periods and row.status == Target.Status.AGREED),
        key=lambda row: row.period,
    )
    target = sum((row.target for row in rows), Decimal("0")) if rows else None
    actual = None
    if card.sales_available and rows:
        actual = sum((row.actual or Decimal("0") for row in rows), Decimal("0"))
    attainment = None
    if target and actual is not None:
        attainment = (actual * 100 / target).quantize(Decimal("0.1"))
    currency = rows[0].currency if rows else partner.currency
    return {
        "available": card.sales_available,
        "currency": currency,
        "target": _money(target, currency),
        "actual": _money(actual, currency),
        "attainment": _text(attainment),
        "months": [
            {
                "period": row.period,
                "target": _money(row.target, row.currency),
                "actual": _money(row.actual, row.currency),
                "attainment": _text(row.attainment),
            }
            for row in rows
        ],
    }


def _payouts(partner: Partner, start: dt.date, end: dt.date) -> dict[str, Any]:
    statement_model = apps.get_model("commissions", "Statement")
    rows = (
        statement_model.objects.filter(
            partner=partner, period_start__gte=start, period_end__lte=end
        )
        .order_by()
        .values("status", "currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("status", "currency")
    )
    order = {value: index for index, value in enumerate(statement_model.Status.values)}
    by_status = sorted(
        (
            {
                "status": row["status"],
                "currency": row["currency"],
                "count": row["count"],
                "total": _money(row["total"], row["currency"]),
            }
            for row in rows
        ),
        key=lambda row: (order.get(row["status"], 99), row["currency"]),
    )
    return {"statements": sum(row["count"] for row in by_status), "by_status": by_status}


def _cases(partner: Partner, start: dt.date, end: dt.date, now: dt.datetime) -> dict[str, Any]:
    case_model = apps.get_model("disputes", "Case")
    since, until = local_day_start(start), local_day_start(end + dt.timedelta(days=1))
    active = ~Q(status__in=[case_model.Status.RESOLVED, case_model.Status.CLOSED])
    clock = Coalesce(F("paused_at"), Value(now, output_field=DateTimeField()))
    late_response = Q(first_responded_at__gt=F("first_response_due")) | (
        active & Q(first_responded_at__isnull=True, first_response_due__lt=clock)
    )
    late_resolution = Q(resolved_at__gt=F("resolution_due")) | (
        active & Q(resolution_due__lt=clock)
    )
    opened = Q(created_at__gte=since, created_at__lt=until)
    compliance = Q(kind=case_model.Kind.COMPLIANCE)
    counts = case_model.objects.filter(partner=partner).aggregate(
        opened=Count("pk", filter=opened & ~compliance),
        resolved=Count("pk", filter=~compliance & Q(resolved_at__gte=since, resolved_at__lt=until)),
        breached=Count("pk", filter=opened & ~compliance & (late_response | late_resolution)),
        escalated=Count("pk", filter=opened & ~compliance & Q(escalated_at__isnull=False)),
        open_now=Count("pk", filter=active & ~compliance),
        compliance_opened=Count("pk", filter=opened & compliance),
        compliance_open=Count("pk", filter=active & compliance),
        compliance_high=Count(
            "pk",
            filter=opened
            & compliance
            & Q(severity__in=[case_model.Severity.HIGH, case_model.Severity.CRITICAL]),
        ),
        penalties=Sum("penalty", filter=opened & compliance),
    )
    return {
        "disputes": {
            "opened": counts["opened"],
            "resolved": counts["resolved"],
            "breached": counts["breached"],
            "escalated": counts["escalated"],
            "open_now": counts["open_now"],
        },
        "compliance": {
            "opened": counts["compliance_opened"],
            "open_now": counts["compliance_open"],
            "high_severity": counts["compliance_high"],
            "penalties": _money(counts["penalties"], partner.currency),
        },
    }


def _deals(partner: Partner, start: dt.date, end: dt.date) -> dict[str, int]:
    since, until = local_day_start(start), local_day_start(end + dt.timedelta(days=1))
    decided = Q(decided_at__gte=since, decided_at__lt=until)
    status = DealRegistration.Status
    return DealRegistration.objects.filter(partner=partner).aggregate(
        submitted=Count("pk", filter=Q(created_at__gte=since, created_at__lt=until)),
        approved=Count("pk", filter=decided & Q(status__in=[status.APPROVED, status.EXPIRED])),
        rejected=Count("pk", filter=decided & Q(status=status.REJECTED)),
    )


def review_scorecard_build(
    *, review: BusinessReview, now: dt.datetime | None = None
) -> dict[str, Any]:
    """What the review looks at, over its period, as JSON (amounts as strings): sales against
    agreed targets, payout statements by status, cases and their SLA, compliance incidents and
    deal registrations. Stored on the review when it is held so it never changes afterwards."""
    now = now or timezone.now()
    partner = review.partner
    start, end = review_period(review)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "currency": partner.currency,
        "taken_at": now.isoformat(),
        "time_zone": settings.TIME_ZONE,
        "sales": _sales(partner, start, end),
        "payouts": _payouts(partner, start, end),
        **_cases(partner, start, end, now),
        "deals": _deals(partner, start, end),
    }
