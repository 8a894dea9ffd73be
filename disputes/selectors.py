"""Reads of cases, scoped to the requesting user."""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from partners.models import Membership, Partner
from partners.permissions import (
    managed_partner_ids,
    may_view_all_partners,
    partner_scope_stand_in,
)
from partners.selectors.directory import partner_vendor_staff, reading_scope_shape
from prm.core.prepared import PreparedQuery

from .models import Case, CaseMessage, CaseStatusChange


def case_visible_queryset(
    *, user, current_partner: Partner | None = None, membership=None
) -> QuerySet[Case]:
    """Vendor admins: every case; channel managers: cases of their partners or owned by them;
    partner users: cases where their current organisation is a party (sales users: only the
    cases they raised). `membership` is the user's active membership of `current_partner` when
    the caller has it already (the request's); otherwise it is looked up."""
    base = Case.objects.all()
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_vendor_admin or (user.is_channel_manager and may_view_all_partners(user)):
        return base
    if user.is_channel_manager:
        managed = managed_partner_ids(user)
        return base.filter(
            Q(partner_id__in=managed) | Q(other_partner_id__in=managed) | Q(owner=user)
        )
    if current_partner is None:
        return base.none()
    if not (
        membership is not None
        and membership.is_active
        and membership.user_id == user.pk
        and membership.partner_id == current_partner.pk
    ):
        membership = user.memberships.filter(partner=current_partner, is_active=True).first()
    if membership is None:
        return base.none()
    scoped = base.filter(Q(partner=current_partner) | Q(other_partner=current_partner))
    if membership.role == "sales":
        scoped = scoped.filter(raised_by=user)
    return scoped


ACTIVE_Q = ~Q(status__in=[Case.Status.RESOLVED, Case.Status.CLOSED])


def case_past_deadline_q(*, now: dt.datetime) -> Q:
    """Cases past a deadline, resolved or not: the first response still owed after it fell
    due, or the resolution due time reached. A paused clock stands where it stopped."""
    clock = Coalesce(F("paused_at"), Value(now, output_field=DateTimeField()))
    return Q(first_responded_at__isnull=True, first_response_due__lte=clock) | Q(
        resolution_due__lte=clock
    )


def case_breached_q(*, now: dt.datetime) -> Q:
    """Unresolved cases past a deadline (`case_past_deadline_q`)."""
    return ACTIVE_Q & case_past_deadline_q(now=now)


# Filters of the case list beyond the statuses: key → condition at `now`.
CASE_LIST_FILTERS = {
    "active": lambda now: ACTIVE_Q,
    "breached": lambda now: case_breached_q(now=now),
    "escalated": lambda now: ACTIVE_Q & Q(escalated_at__isnull=False),
    "unassigned": lambda now: ACTIVE_Q & Q(owner__isnull=True),
}
# Filters that only vendor staff are offered (partners follow their cases whoever owns them).
VENDOR_LIST_FILTERS = frozenset({"unassigned"})


def case_list(
    *,
    user,
    current_partner: Partner | None = None,
    status: str = "",
    now: dt.datetime | None = None,
    membership=None,
) -> QuerySet[Case]:
    """Cases for the list; `status` is a case status, "all", or one of CASE_LIST_FILTERS.
    `membership` as `case_visible_queryset` takes it."""
    qs = case_visible_queryset(
        user=user, current_partner=current_partner, membership=membership
    ).select_related("partner", "other_partner", "owner")
    if status in CASE_LIST_FILTERS:
        qs = qs.filter(CASE_LIST_FILTERS[status](now or timezone.now()))
    elif status in Case.Status.values:
        qs = qs.filter(status=status)
    return qs


# What a row of the case list shows, its countdowns included: its own columns, and those of
# its parties read as columns of the row (CASE_ROW_PARTIES).
CASE_ROW_FIELDS = (
    "subject",
    "kind",
    "priority",
    "status",
    "escalated_at",
    "first_responded_at",
    "first_response_due",
    "resolution_due",
    "paused_at",
    "partner",
    "other_partner",
    "owner",
)
CASE_ROW_PARTIES = {
    "partner_code": F("partner__code"),
    "other_partner_code": F("other_partner__code"),
    "owner_full_name": F("owner__full_name"),
    "owner_email": F("owner__email"),
}


def _case_scope(user, current_partner: Partner | None, membership) -> tuple | None:
    """What the cases `case_visible_queryset` gives `user` depend on besides the ids of the
    user and of `current_partner`: the shape by which the user's partner scope is read
    (partners.selectors.directory.reading_scope_shape) and, for partner
    users, their role in `current_partner`; None when they see no case. A partner user's
    membership is `membership` when it is theirs, else looked up."""
    shape = reading_scope_shape(user)
    if shape[0] != "partner":
        return None if shape[0] == "none" else (shape, None)
    if current_partner is None:
        return None
    if not (
        membership is not None
        and membership.is_active
        and membership.user_id == user.pk
        and membership.partner_id == current_partner.pk
    ):
        membership = user.memberships.filter(partner=current_partner, is_active=True).first()
    if membership is None:
        return None
    return (shape, membership.role)


@functools.cache
def _case_page_query(scope: tuple, status: str) -> PreparedQuery:
    """The rows of `case_list(..., status=status)` with the columns the case list shows, for
    the users whose cases have the scope `scope` (`_case_scope`), compiled once: the user's id,
    the current partner's and the instant (the breached filter's) placeholders."""
    shape, role = scope

    def build(user: int, partner: int, now: dt.datetime) -> QuerySet[Case]:
        current, membership = None, None
        if role is not None:
            current = Partner(pk=partner)
            membership = Membership(user_id=user, partner_id=partner, role=role, is_active=True)
        rows = case_list(
            user=partner_scope_stand_in(shape, user),
            current_partner=current,
            status=status,
            now=now,
            membership=membership,
        )
        return rows.select_related(None).only(*CASE_ROW_FIELDS).annotate(**CASE_ROW_PARTIES)

    return PreparedQuery(
        build,
        "user",
        "partner",
        datetimes=("now",),
        optional=("user", "partner", "now"),
        plan_once=True,
    )


def case_page(
    *,
    user,
    current_partner: Partner | None = None,
    status: str = "",
    size: int,
    membership=None,
    now: dt.datetime | None = None,
) -> list[Case]:
    """The first `size` cases of `case_list(user=..., current_partner=..., status=...,
    now=..., membership=...)`, with only the columns the case list shows (CASE_ROW_FIELDS, and
    the codes of its partners and the name and email of its owner as the attributes of
    CASE_ROW_PARTIES), read by SQL compiled once per process for each kind of user and
    filter."""
    scope = _case_scope(user, current_partner, membership)
    if scope is None:
        return []
    if status not in CASE_LIST_FILTERS and status not in Case.Status.values:
        status = ""
    return _case_page_query(scope, status)(
        limit=size,
        user=user.pk,
        partner=current_partner.pk if scope[1] is not None else 0,
        now=now or timezone.now(),
    )


def case_get(*, user, pk: int, current_partner: Partner | None = None) -> Case:
    """The case, with the thread the user may read: partner users see neither internal notes nor
    the other party's messages."""
    messages = CaseMessage.objects.select_related("author", "party").order_by("created_at", "id")
    if not user.vendor_role:
        messages = messages.filter(internal=False).filter(
            Q(party__isnull=True) | Q(party=current_partner)
        )
    qs = case_visible_queryset(user=user, current_partner=current_partner).select_related(
        "partner",
        "other_partner",
        "owner",
        "raised_by",
        "adjustment__statement",
        "statement_line__statement",
        "agreement_version__agreement",
        "deal",
        "product",
    )
    history = CaseStatusChange.objects.select_related(
        "actor", "from_owner", "to_owner", "reason_party"
    ).order_by("created_at", "id")
    qs = qs.prefetch_related(
        Prefetch("messages", queryset=messages, to_attr="visible_messages"),
        Prefetch("status_changes", queryset=history, to_attr="history"),
    )
    case = qs.filter(pk=pk).first()
    if case is None:
        raise Http404
    # Each entry's reason as this reader may see it: vendor staff read every reason, partner
    # users only those shown to their organisation.
    for change in case.history:
        change.shown_reason = (
            change.reason
            if user.vendor_role
            else change.reason_for_partner(current_partner.pk if current_partner else None)
        )
    return case


def case_owner_choices(*, case: Case):
    """Vendor staff who can see the case's partner and so may own it."""
    return partner_vendor_staff(partner=case.partner).order_by("full_name", "email")


def case_message_get(*, user, case_pk: int, pk: int, current_partner: Partner | None = None):
    """An attachment-bearing message the user may read, else 404."""
    case = case_visible_queryset(user=user, current_partner=current_partner).filter(pk=case_pk)
    messages = CaseMessage.objects.filter(case__in=case, pk=pk).exclude(attachment="")
    if not user.vendor_role:
        messages = messages.filter(internal=False).filter(
            Q(party__isnull=True) | Q(party=current_partner)
        )
    message = messages.first()
    if message is None:
        raise Http404
    return message


# Open cases by age: label key → (from days, to days), the last bucket open-ended.
AGE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("under_1", 0, 1),
    ("1_to_3", 1, 3),
    ("3_to_7", 3, 7),
    ("7_to_14", 7, 14),
    ("over_14", 14, None),
]
RATINGS = range(1, 6)


def case_report(*, user, now: dt.datetime) -> dict:
    """Vendor reporting over the cases `user` may see: open cases by age, the distribution of
    ratings, and per owner the SLA attainment, mean time to first response and to resolution,
    and satisfaction. Two queries.

    Attainment counts every deadline that has come due: met or missed once answered (resolved),
    and missed while still unanswered (unresolved) past it. A paused clock stands where it
    stopped, so a case waiting on the partner is judged at the moment it began to wait.
    Read from the reports database (a read replica when one is configured)."""
    visible = case_visible_queryset(user=user).using(settings.PRM_REPORTS_DATABASE)
    active = ~Q(status__in=[Case.Status.RESOLVED, Case.Status.CLOSED])
    totals = {}
    for key, start, end in AGE_BUCKETS:
        condition = active & Q(created_at__lte=now - dt.timedelta(days=start))
        if end is not None:
            condition &= Q(created_at__gt=now - dt.timedelta(days=end))
        totals[key] = Count("pk", filter=condition)
    for rating in RATINGS:
        totals[f"rated_{rating}"] = Count("pk", filter=Q(rating=rating))
    counts = visible.aggregate(**totals)

    clock = Coalesce(F("paused_at"), Value(now, output_field=DateTimeField()))

    def duration(end: str):
        return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())

    per_owner = list(
        visible.values("owner", "owner__full_name", "owner__email")
        .annotate(
            total=Count("pk"),
            responses_due=Count(
                "pk",
                filter=Q(first_responded_at__isnull=False)
                | (active & Q(first_responded_at__isnull=True, first_response_due__lte=clock)),
            ),
            response_met=Count("pk", filter=Q(first_responded_at__lte=F("first_response_due"))),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            resolutions_due=Count(
                "pk", filter=Q(resolved_at__isnull=False) | (active & Q(resolution_due__lte=clock))
            ),
            resolution_met=Count("pk", filter=Q(resolved_at__lte=F("resolution_due"))),
            mean_first_response=Avg(duration("first_responded_at")),
            mean_resolution=Avg(duration("resolved_at")),
            rated=Count("rating"),
            mean_rating=Avg("rating"),
        )
        .order_by("owner__email")
    )
    for row in per_owner:
        row["response_rate"] = _percent(row["response_met"], row["responses_due"])
        row["resolution_rate"] = _percent(row["resolution_met"], row["resolutions_due"])
    return {
        "ages": [(key, counts[key]) for key, _s, _e in AGE_BUCKETS],
        "ratings": [(rating, counts[f"rated_{rating}"]) for rating in RATINGS],
        "owners": per_owner,
    }


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None
