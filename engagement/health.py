"""Relationship health: one score from 0 to 100 per partner, the weighted mean of its parts.

Each part is registered here with a default weight and a function that returns, for a set of
partners, a value from 0 to 100 per partner id, in a constant number of queries (a partner left
out of the answer has no value for that part, and the part is left out of its score). Vendor
admins change the weights in the admin (HealthWeight); a weight of 0 leaves a part out.

A part is registered with a function of the partners and the shared context, e.g. the partner
pulse at the end of this module:

    register_part(Part("pulse", _("Partner pulse"), 15, _pulse))

where `_pulse(partners, context)` returns `{partner_id: value}`. A part shows on the 360°
page, the partner's dashboard and the API, and counts in the score, only once registered.

The score is the sum of weight × value over the parts with a value, divided by the sum of their
weights, rounded half up to a whole number.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Case as Case_
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from commissions.models import Sale
from commissions.periods import month_of, quarter_of
from disputes.models import Case
from partners.models import Partner, Target
from partners.periods import period_bounds, period_of
from prm.core.prepared import PreparedQuery

from .commitments import Instance, Window, instances_measure
from .models_commitments import Commitment
from .models_health import HealthSnapshot, HealthWeight
from .pulse import pulse_scores

# A fall of this many points or more from one quarter to the next raises a dashboard tile.
FALL_POINTS = 15
# Points lost per open case or dispute, and per compliance incident of the last year.
OPEN_CASE_PENALTY = 20
INCIDENT_PENALTY = 25
LOOKBACK_DAYS = 365


@dataclass
class Context:
    """What the parts of one computation share: the moment and the measured commitments."""

    partners: QuerySet[Partner]
    now: dt.datetime

    @cached_property
    def pks(self) -> list[int]:
        return list(self.partners.order_by().values_list("pk", flat=True))

    @cached_property
    def instances(self) -> list[Instance]:
        today = timezone.localdate(self.now)
        window = Window(start=today - dt.timedelta(days=LOOKBACK_DAYS), end=today, now=self.now)
        return instances_measure(self.partners, window=window)


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    default_weight: int
    values: Callable[[QuerySet[Partner], Context], dict[int, int]]


PARTS: dict[str, Part] = {}


def register_part(part: Part) -> None:
    PARTS[part.key] = part


def _percent(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator * 100) / Decimal(denominator)).quantize(0, ROUND_HALF_UP))


def _attainment(partners, context: Context) -> dict[int, int]:
    """Sales of the month against its agreed target, capped at 100 (no target: no value)."""
    period = period_of(timezone.localdate(context.now))
    start, end = period_bounds(period)
    targets = dict(
        Target.objects.filter(
            partner__in=partners, period=period, status=Target.Status.AGREED, amount__gt=0
        ).values_list("partner_id", "amount")
    )
    if not targets:
        return {}
    net = Sum(Case_(When(kind=Sale.Kind.RETURN, then=-F("net_amount")), default=F("net_amount")))
    sales = dict(
        Sale.objects.filter(partner__in=partners, invoice_date__range=(start, end))
        .order_by()
        .values("partner_id")
        .annotate(net=net)
        .values_list("partner_id", "net")
    )
    return {
        pk: max(0, min(100, _percent_of(sales.get(pk) or Decimal(0), target)))
        for pk, target in targets.items()
    }


def _percent_of(part: Decimal, whole: Decimal) -> int:
    return int((part * 100 / whole).quantize(0, ROUND_HALF_UP))


def _counted(context: Context, qs, penalty: int) -> dict[int, int]:
    rows = qs.order_by().values("partner_id").annotate(n=Count("pk"))
    counts = dict(rows.values_list("partner_id", "n"))
    return {pk: max(0, 100 - penalty * counts.get(pk, 0)) for pk in context.pks}


def _open_cases(partners, context: Context) -> dict[int, int]:
    open_cases = (
        Case.objects.filter(partner__in=partners)
        .exclude(status__in=[Case.Status.RESOLVED, Case.Status.CLOSED])
        .exclude(kind=Case.Kind.COMPLIANCE)
    )
    return _counted(context, open_cases, OPEN_CASE_PENALTY)


def _compliance(partners, context: Context) -> dict[int, int]:
    since = context.now - dt.timedelta(days=LOOKBACK_DAYS)
    incidents = Case.objects.filter(
        partner__in=partners, kind=Case.Kind.COMPLIANCE, created_at__gte=since
    )
    return _counted(context, incidents, INCIDENT_PENALTY)


def _share_met(instances) -> dict[int, int]:
    counts: dict[int, list[int]] = {}
    for i in instances:
        bucket = counts.setdefault(i.partner_id, [0, 0])
        bucket[0] += int(i.met)
        bucket[1] += 1
    return {pk: _percent(met, total) for pk, (met, total) in counts.items()}


def _reviews_on_time(partners, context: Context) -> dict[int, int]:
    return _share_met(i for i in context.instances if i.kind == Commitment.REVIEW)


def _commitments_met(partners, context: Context) -> dict[int, int]:
    return _share_met(context.instances)


register_part(Part("attainment", _("Attainment of target"), 30, _attainment))
register_part(Part("open_cases", _("Open cases and disputes"), 15, _open_cases))
register_part(Part("compliance", _("Compliance incidents"), 15, _compliance))
register_part(Part("reviews", _("Business reviews held on time"), 15, _reviews_on_time))
register_part(Part("commitments", _("Vendor commitments met"), 25, _commitments_met))


def _pulse(partners, context: Context) -> dict[int, int]:
    """The latest quarter's recommendation score (0 to 10) on the 0 to 100 scale; a partner
    that never answered the pulse has no value for this part."""
    return {
        pk: int((score * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for pk, score in pulse_scores(context.pks).items()
    }


register_part(Part("pulse", _("Partner pulse"), 15, _pulse))


@dataclass(frozen=True)
class PartValue:
    key: str
    label: str
    weight: int
    value: int | None


@dataclass
class Health:
    partner_id: int
    score: int | None
    parts: list[PartValue] = field(default_factory=list)
    taken_at: dt.datetime | None = None

    def as_json(self) -> dict:
        return {p.key: {"weight": p.weight, "value": p.value} for p in self.parts}

    @classmethod
    def from_snapshot(cls, snapshot: HealthSnapshot) -> Health:
        """The score and parts a snapshot stored, the parts in the order they are registered
        (a part no longer registered keeps its key as its label, after the others)."""
        stored = snapshot.parts or {}
        keys = [k for k in PARTS if k in stored] + [k for k in stored if k not in PARTS]
        parts = [
            PartValue(
                key,
                str(PARTS[key].label) if key in PARTS else key,
                stored[key].get("weight", 0),
                stored[key].get("value"),
            )
            for key in keys
        ]
        return cls(snapshot.partner_id, snapshot.score, parts, snapshot.taken_at)


def health_weights() -> dict[str, int]:
    """Each registered part's weight: the admins' when set, else its default."""
    stored = dict(HealthWeight.objects.values_list("part", "weight"))
    return {key: stored.get(key, part.default_weight) for key, part in PARTS.items()}


def health_score(parts: list[PartValue]) -> int | None:
    """The weighted mean of the parts with a value and a weight, rounded half up."""
    counted = [p for p in parts if p.value is not None and p.weight > 0]
    weights = sum(p.weight for p in counted)
    if not weights:
        return None
    total = Decimal(sum(p.weight * p.value for p in counted))
    return int((total / Decimal(weights)).quantize(0, ROUND_HALF_UP))


def health_measure(
    partners: QuerySet[Partner], *, now: dt.datetime | None = None
) -> dict[int, Health]:
    """Every partner's score and parts, set-based: a constant number of queries."""
    now = now or timezone.now()
    context = Context(partners=partners, now=now)
    weights = health_weights()
    values = {key: part.values(partners, context) for key, part in PARTS.items()}
    out = {}
    for pk in context.pks:
        parts = [
            PartValue(key, str(part.label), weights[key], values[key].get(pk))
            for key, part in PARTS.items()
        ]
        out[pk] = Health(pk, health_score(parts), parts)
    return out


def health_get(partner: Partner, *, now: dt.datetime | None = None) -> Health:
    """One partner's score and parts measured live, by the same derivation as everyone's."""
    return health_measure(Partner.objects.filter(pk=partner.pk), now=now)[partner.pk]


def health_snapshots_store(
    scores: dict[int, Health], *, quarter: str, now: dt.datetime, replace: bool = True
) -> None:
    """Store each measured score as the quarter's snapshot, replacing the one stored earlier in
    the quarter (or, with `replace=False`, keeping it)."""
    rows = [
        HealthSnapshot(
            partner_id=pk, quarter=quarter, score=h.score, parts=h.as_json(), taken_at=now
        )
        for pk, h in scores.items()
    ]
    if replace:
        HealthSnapshot.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["partner", "quarter"],
            update_fields=["score", "parts", "taken_at"],
            batch_size=5000,
        )
    else:
        HealthSnapshot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)


def health_current(partner: Partner, *, now: dt.datetime | None = None) -> Health:
    """The partner's score of the current quarter, as the directory, the 360° page, the
    dashboard and the API all show it: this quarter's snapshot, read in one query. A partner
    without one yet is measured live and the result stored as the quarter's snapshot (a
    snapshot stored meanwhile by another request or the nightly run is kept and shown)."""
    now = now or timezone.now()
    quarter = quarter_label(timezone.localdate(now))
    snapshot = HealthSnapshot.objects.filter(partner=partner, quarter=quarter).first()
    if snapshot is not None:
        return Health.from_snapshot(snapshot)
    health = health_get(partner, now=now)
    health_snapshots_store({partner.pk: health}, quarter=quarter, now=now, replace=False)
    return Health.from_snapshot(HealthSnapshot.objects.get(partner=partner, quarter=quarter))


def quarter_label(day: dt.date) -> str:
    return quarter_of(month_of(day)).label


def previous_quarter(label: str) -> str:
    year, q = int(label[:4]), int(label[-1])
    return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"


def health_trend(partner: Partner, *, limit: int = 8) -> list[HealthSnapshot]:
    """The partner's stored quarterly scores, oldest first."""
    return list(reversed(_latest_snapshots(limit)(partner=partner.pk)))


@functools.cache
def _latest_snapshots(limit: int) -> PreparedQuery:
    """A partner's `limit` latest snapshots, latest first (its id given on each call)."""
    return PreparedQuery(
        lambda partner: HealthSnapshot.objects.filter(partner_id=partner).order_by("-quarter")[
            :limit
        ],
        "partner",
        plan_once=True,
    )


def health_falling(partners: QuerySet[Partner], *, today: dt.date | None = None):
    """Snapshots of this quarter whose score fell by FALL_POINTS or more from the last
    quarter's, with `previous` and `partner` joined in."""
    return list(health_falling_queryset(partners, today=today))


def health_falling_queryset(
    partners: QuerySet[Partner], *, today: dt.date | None = None
) -> QuerySet[HealthSnapshot]:
    """The rows of `health_falling`, not yet read."""
    quarter = quarter_label(today or timezone.localdate())
    previous = HealthSnapshot.objects.filter(
        partner=OuterRef("partner"), quarter=previous_quarter(quarter)
    ).values("score")[:1]
    return (
        HealthSnapshot.objects.filter(partner__in=partners, quarter=quarter, score__isnull=False)
        .annotate(previous=Subquery(previous))
        .filter(previous__gte=F("score") + FALL_POINTS)
        .select_related("partner")
        .order_by("partner__code")
    )
