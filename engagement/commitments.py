"""The vendor's commitments measured from what was recorded.

Each commitment is a set of instances (a statement, a case, a review, a price list, a fund
request or claim, a price-protection claim), each with the date its clock started, the date it
was due and the date it was done. An instance is measured once it is done or overdue: met when
done in time, missed otherwise. One query per commitment, whatever the number of partners, so the
nightly run and the pages share the same arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Case as Case_
from django.db.models import DateField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from agreements.models import AgreementVersion, PriceList
from commissions.models import Statement
from disputes.models import Case
from funds.models import FundClaim, FundRequest, PriceProtectionClaim
from partners.models import BusinessReview, Partner

from .models_commitments import DEFAULT_OBLIGATIONS, Commitment, Obligations

# Commitments in the order the pages list them.
ORDER = [c.value for c in Commitment]
_RANK = {kind: index for index, kind in enumerate(ORDER)}


@dataclass(frozen=True)
class Terms:
    """One partner's time limits, from the agreement version in force (or the defaults)."""

    partner_id: int
    currency: str
    version_id: int | None
    payout_days: int
    mdf_decision_days: int
    price_protection_decision_days: int
    price_notice_days: int | None


class Instance(NamedTuple):
    """One measured instance (a tuple: the nightly run builds one per statement, case...)."""

    partner_id: int
    kind: str
    ref: str
    label: str
    start: dt.date
    due: dt.date
    done: dt.date | None
    met: bool
    limit: str = ""
    url_name: str = ""
    url_pk: int | None = None

    @property
    def measured_on(self) -> dt.date:
        return self.done or self.due


@dataclass(frozen=True)
class Window:
    """The instances measured on a day from `start` to `end`, as seen at `now`."""

    start: dt.date
    end: dt.date
    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return timezone.localdate(self.now)

    @classmethod
    def year(cls, now: dt.datetime | None = None) -> Window:
        now = now or timezone.now()
        today = timezone.localdate(now)
        return cls(start=today.replace(month=1, day=1), end=today, now=now)

    @classmethod
    def year_and_recent(cls, now: dt.datetime | None = None, *, days: int) -> Window:
        """This year and, in its first `days` days, the end of the last one: an instance due on
        31 December is found overdue only in January, and is still measured then."""
        now = now or timezone.now()
        today = timezone.localdate(now)
        start = min(today.replace(month=1, day=1), today - dt.timedelta(days=days))
        return cls(start=start, end=today, now=now)

    def holds(self, instance: Instance) -> bool:
        return self.start <= instance.measured_on <= self.end


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _local(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else timezone.localdate(value)


def _obligation(field: str, version_ref):
    own = Obligations.objects.filter(agreement_version=version_ref).values(field)[:1]
    default = Obligations.objects.filter(agreement_version__isnull=True).values(field)[:1]
    return Coalesce(
        Subquery(own, output_field=IntegerField()),
        Subquery(default, output_field=IntegerField()),
        Value(DEFAULT_OBLIGATIONS[field]),
    )


def terms_map(partners: QuerySet[Partner], *, today: dt.date) -> dict[int, Terms]:
    """Each partner's limits in one query: the agreement version in force today, its own
    obligations, else the program's, else the spec's defaults."""
    in_force = AgreementVersion.objects.filter(
        agreement__partner=OuterRef("pk"),
        status=AgreementVersion.Status.ACCEPTED,
        in_force_from__lte=today,
        agreement__end__gte=today,
    ).order_by("-in_force_from", "-number")
    rows = (
        partners.order_by()
        .annotate(version_id=Subquery(in_force.values("pk")[:1]))
        .annotate(
            notice=Subquery(in_force.values("price_notice_days")[:1]),
            payout=_obligation("payout_days", OuterRef("version_id")),
            mdf=_obligation("mdf_decision_days", OuterRef("version_id")),
            protection=_obligation("price_protection_decision_days", OuterRef("version_id")),
        )
        .values_list("pk", "currency", "version_id", "payout", "mdf", "protection", "notice")
    )
    return {
        pk: Terms(pk, currency, version, payout, mdf, protection, notice)
        for pk, currency, version, payout, mdf, protection, notice in rows
    }


def _days(n: int) -> str:
    return str(n)


def _payouts(partners, terms: dict[int, Terms], window: Window) -> Iterable[Instance]:
    reach = max((t.payout_days for t in terms.values()), default=30)
    rows = (
        # A statement that pays nothing (a total of zero or less, such as one whose negative
        # total is carried forward to the next) owes no payout.
        Statement.objects.filter(partner__in=partners, period_end__lte=window.end, total__gt=0)
        .filter(
            Q(period_end__gte=window.start - dt.timedelta(days=reach))
            | Q(paid_at__gte=_start_of(window.start))
        )
        .order_by()
        .values_list("pk", "partner_id", "period", "period_end", TruncDate("paid_at"))
    )
    for pk, partner_id, period, period_end, paid in rows:
        days = terms[partner_id].payout_days
        due = period_end + dt.timedelta(days=days)
        if paid is None and due >= window.today:
            continue
        yield Instance(
            partner_id, Commitment.PAYOUT, str(pk), period, period_end, due, paid,
            met=paid is not None and paid <= due, limit=_days(days),
            url_name="statement_detail", url_pk=pk,
        )  # fmt: skip


def _case_responses(partners, terms, window: Window) -> Iterable[Instance]:
    since = _start_of(window.start)
    rows = (
        Case.objects.filter(partner__in=partners)
        .exclude(kind=Case.Kind.COMPLIANCE)
        .filter(Q(first_responded_at__gte=since) | Q(first_responded_at__isnull=True))
        .filter(first_response_due__gte=since - dt.timedelta(days=31))
        .order_by()
        .values_list(
            "pk", "partner_id", "first_response_due", "first_responded_at",
            TruncDate("created_at"), TruncDate("first_response_due"),
            TruncDate("first_responded_at"),
        )
    )  # fmt: skip
    for pk, partner_id, due, responded, created_on, due_on, responded_on in rows:
        if responded is None and due > window.now:
            continue
        yield Instance(
            partner_id, Commitment.CASE_RESPONSE, str(pk), f"CASE-{pk:06d}",
            created_on, due_on, responded_on,
            # The SLA is breached from the very moment its deadline is reached.
            met=responded is not None and responded < due,
            url_name="case_detail", url_pk=pk,
        )  # fmt: skip


def _reviews(partners, terms, window: Window) -> Iterable[Instance]:
    since = _start_of(window.start)
    rows = (
        BusinessReview.objects.filter(partner__in=partners, scheduled_at__gte=since)
        .filter(
            status__in=[BusinessReview.Status.SCHEDULED, BusinessReview.Status.HELD],
        )
        .order_by()
        .values_list(
            "pk", "partner_id", TruncDate("created_at"), TruncDate("scheduled_at"),
            TruncDate("held_at"),
        )
    )  # fmt: skip
    for pk, partner_id, created, due, done in rows:
        if done is None and due >= window.today:
            continue
        yield Instance(
            partner_id, Commitment.REVIEW, str(pk), due.isoformat(), min(created, due), due, done,
            met=done is not None and done <= due, url_name="review_detail", url_pk=pk,
        )  # fmt: skip


def _price_notices(partners, terms: dict[int, Terms], window: Window) -> Iterable[Instance]:
    currencies = {t.currency for t in terms.values() if t.price_notice_days is not None}
    if not currencies:
        return
    lists = list(
        PriceList.objects.filter(
            currency__in=currencies, effective_from__range=(window.start, window.end)
        )
        .order_by()
        .values_list("pk", "code", "currency", "created_at", "effective_from")
    )
    for t in terms.values():
        if t.price_notice_days is None:
            continue
        for pk, code, currency, created, effective in lists:
            if currency != t.currency:
                continue
            announced = _local(created)
            due = effective - dt.timedelta(days=t.price_notice_days)
            yield Instance(
                t.partner_id, Commitment.PRICE_NOTICE, str(pk), code, announced, due, announced,
                met=announced <= due, limit=_days(t.price_notice_days),
            )  # fmt: skip


def _decisions(
    rows, kind: str, prefix: str, limit_of: Callable[[Terms], int], terms, window, url_name
) -> Iterable[Instance]:
    """Rows of (pk, partner id, start, decided on, withdrawn on): a request the partner
    withdrew before a decision was due asked for none and is not measured; one withdrawn
    after its deadline had passed undecided stays missed."""
    for pk, partner_id, start, done, withdrawn in rows:
        if start is None:
            continue
        days = limit_of(terms[partner_id])
        due = start + dt.timedelta(days=days)
        if done is None and withdrawn is not None and withdrawn <= due:
            continue
        if done is None and due >= window.today:
            continue
        yield Instance(
            partner_id, kind, f"{prefix}{pk}", f"{prefix}-{pk:06d}", start, due, done,
            met=done is not None and done <= due, limit=_days(days),
            url_name=url_name, url_pk=pk,
        )  # fmt: skip


_NO_DATE = Value(None, output_field=DateField())


def _fund_decisions(partners, terms, window: Window) -> Iterable[Instance]:
    since = window.start - dt.timedelta(
        days=max((t.mdf_decision_days for t in terms.values()), default=10)
    )
    requests = (
        FundRequest.objects.filter(budget__partner__in=partners, created_at__date__gte=since)
        .order_by()
        .values_list(
            "pk", "budget__partner_id", TruncDate("created_at"), TruncDate("decided_at"),
            # Cancelled while pending: the partner withdrew it before any decision.
            Case_(
                When(
                    status=FundRequest.Status.CANCELLED, decided_at__isnull=True,
                    then=TruncDate("closed_at"),
                ),
                default=_NO_DATE,
            ),
        )
    )  # fmt: skip
    yield from _decisions(
        requests, Commitment.MDF_DECISION, "MDF", lambda t: t.mdf_decision_days, terms, window,
        "fund_request_detail",
    )  # fmt: skip
    claims = (
        FundClaim.objects.filter(request__budget__partner__in=partners, created_at__date__gte=since)
        .order_by()
        .values_list(
            "pk", "request__budget__partner_id", TruncDate("created_at"), TruncDate("decided_at"),
            _NO_DATE,
        )
    )  # fmt: skip
    yield from _decisions(
        claims, Commitment.MDF_DECISION, "CLM", lambda t: t.mdf_decision_days, terms, window, ""
    )


def _protection_decisions(partners, terms, window: Window) -> Iterable[Instance]:
    reach = max((t.price_protection_decision_days for t in terms.values()), default=15)
    rows = (
        PriceProtectionClaim.objects.filter(
            partner__in=partners,
            declared_at__date__gte=window.start - dt.timedelta(days=reach),
        )
        .order_by()
        .values_list(
            "pk", "partner_id", TruncDate("declared_at"), TruncDate("decided_at"), _NO_DATE
        )
    )
    yield from _decisions(
        rows, Commitment.PROTECTION_DECISION, "PP", lambda t: t.price_protection_decision_days,
        terms, window, "protection_claim_detail",
    )  # fmt: skip


MEASURES: dict[str, Callable] = {
    Commitment.PAYOUT: _payouts,
    Commitment.CASE_RESPONSE: _case_responses,
    Commitment.REVIEW: _reviews,
    Commitment.PRICE_NOTICE: _price_notices,
    Commitment.MDF_DECISION: _fund_decisions,
    Commitment.PROTECTION_DECISION: _protection_decisions,
}


def instances_measure(
    partners: QuerySet[Partner], *, window: Window | None = None
) -> list[Instance]:
    """Every measured instance of every commitment for `partners` in `window` (this year by
    default), oldest first: one query for the terms and one per commitment."""
    window = window or Window.year()
    terms = terms_map(partners, today=window.today)
    if not terms:
        return []
    found = [
        instance
        for measure in MEASURES.values()
        for instance in measure(partners, terms, window)
        if window.holds(instance)
    ]
    return sorted(found, key=lambda i: (_RANK[i.kind], i.measured_on, i.ref))


@dataclass
class Record:
    """One commitment's record: its instances with the count met and missed."""

    kind: str
    instances: list[Instance]
    limit: str = ""

    @property
    def label(self) -> str:
        return Commitment(self.kind).label

    @property
    def met(self) -> int:
        return sum(1 for i in self.instances if i.met)

    @property
    def missed(self) -> int:
        return len(self.instances) - self.met

    @property
    def rate(self) -> int:
        """Percent met, rounded half up."""
        return (self.met * 200 + len(self.instances)) // (2 * len(self.instances))


def records(instances: Iterable[Instance]) -> list[Record]:
    """Group instances by commitment; a commitment without instances is not shown."""
    by_kind: dict[str, Record] = {}
    for instance in instances:
        record = by_kind.setdefault(instance.kind, Record(instance.kind, []))
        record.instances.append(instance)
        record.limit = instance.limit or record.limit
    return [by_kind[k] for k in ORDER if k in by_kind]


def met_share(instances: Iterable[Instance]) -> dict[int, tuple[int, int]]:
    """Per partner: (met, measured)."""
    out: dict[int, tuple[int, int]] = {}
    for i in instances:
        met, total = out.get(i.partner_id, (0, 0))
        out[i.partner_id] = (met + int(i.met), total + 1)
    return out


def monthly_rates(instances: Iterable[Instance]) -> list[tuple[str, int, int]]:
    """Per month the instances were measured in: (YYYY-MM, met, measured), oldest first."""
    months: dict[str, list[int]] = {}
    for i in instances:
        key = i.measured_on.strftime("%Y-%m")
        bucket = months.setdefault(key, [0, 0])
        bucket[0] += int(i.met)
        bucket[1] += 1
    return [(k, v[0], v[1]) for k, v in sorted(months.items())]
