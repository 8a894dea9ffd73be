"""Targets, the scorecard and attainment.

Sales come from the commissions app's `Sale` model once it exists: `partner_id`, `invoice_date`,
`kind` (sale | return) and a positive `net_amount`. Until then the scorecard says "no sales yet"
and attainment is empty. `_sale_model` is the only place that looks for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404

from prm.core.prepared import PreparedQuery

from ..models import Partner, Target, TargetProposal
from ..periods import current_period, period_bounds, period_of, period_shift

MONEY = DecimalField(max_digits=16, decimal_places=2)
PERCENT = DecimalField(max_digits=9, decimal_places=1)


def _sale_model():
    try:
        return apps.get_model("commissions", "Sale")
    except LookupError:
        return None


def sales_available() -> bool:
    return _sale_model() is not None


def _signed_net():
    """Net sales: returns count against sales."""
    return Sum(
        Case(
            When(kind="return", then=-F("net_amount")),
            default=F("net_amount"),
            output_field=MONEY,
        )
    )


def _net_sales(sale_model, period: str) -> Coalesce:
    """The net sales of the outer partner row in `period` (0 without any), from `sale_model`."""
    start, end = period_bounds(period)
    net = (
        sale_model.objects.filter(partner_id=OuterRef("pk"), invoice_date__range=(start, end))
        .order_by()
        .values("partner_id")
        .annotate(net=_signed_net())
        .values("net")
    )
    return Coalesce(Subquery(net, output_field=MONEY), Value(Decimal("0")))


def partner_attainment_annotate(partners: QuerySet[Partner], period: str | None = None):
    """Annotate `current_target` (agreed amount for the period), `current_sales` and
    `attainment` (% of target; null without a target or without sales data)."""
    period = period or current_period()
    agreed = Target.objects.filter(
        partner=OuterRef("pk"), period=period, status=Target.Status.AGREED
    ).values("amount")[:1]
    partners = partners.annotate(current_target=Subquery(agreed, output_field=MONEY))
    sale_model = _sale_model()
    if sale_model is None:
        return partners.annotate(
            current_sales=Value(None, output_field=MONEY),
            attainment=Value(None, output_field=PERCENT),
        )
    return partners.annotate(
        current_sales=_net_sales(sale_model, period),
        attainment=Case(
            When(
                current_target__gt=0,
                then=ExpressionWrapper(
                    F("current_sales") * Value(Decimal("100")) / F("current_target"),
                    output_field=PERCENT,
                ),
            ),
            default=Value(None, output_field=PERCENT),
            output_field=PERCENT,
        ),
    )


@dataclass(frozen=True)
class ScorecardRow:
    period: str
    status: str
    currency: str
    target: Decimal | None
    actual: Decimal | None

    @property
    def attainment(self) -> Decimal | None:
        if self.actual is None or not self.target:
            return None
        return (self.actual * 100 / self.target).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Scorecard:
    rows: list[ScorecardRow]
    sales_available: bool

    @property
    def current(self) -> ScorecardRow | None:
        period = current_period()
        return next((row for row in self.rows if row.period == period), None)


# The scorecard looks this many months ahead, so this month stays in view however far ahead
# targets are being negotiated.
SCORECARD_MONTHS_AHEAD = 3


def target_scorecard(*, partner: Partner, limit: int = 12) -> Scorecard:
    """Actual net sales against the target of each period that has one, latest first, from
    SCORECARD_MONTHS_AHEAD months ahead backwards."""
    horizon = period_shift(current_period(), SCORECARD_MONTHS_AHEAD)
    targets = list(partner.targets.filter(period__lte=horizon).order_by("-period")[:limit])
    return _scorecard(partner, targets)


def target_scorecard_current(*, partner: Partner) -> ScorecardRow | None:
    """`target_scorecard(...).current`: the current period's target with its actual sales, read
    alone (no sales are read when the period has no target)."""
    targets = _period_target(current_period())(partner=partner.pk)
    return _scorecard(partner, targets).current


def target_current_annotate(partners: QuerySet[Partner], period: str) -> QuerySet[Partner]:
    """Annotate the target of `period` of each partner (what `target_scorecard_current` reads,
    as columns of the partner's row): `scorecard_target` (its id, null without one),
    `scorecard_status`, `scorecard_currency`, `scorecard_amount`, and `scorecard_actual`, the
    partner's net sales of the period (null without sales data)."""
    target = Target.objects.filter(partner=OuterRef("pk"), period=period)
    partners = partners.annotate(
        scorecard_target=Subquery(target.values("pk")[:1]),
        scorecard_status=Subquery(target.values("status")[:1]),
        scorecard_currency=Subquery(target.values("currency")[:1]),
        scorecard_amount=Subquery(target.values("amount")[:1]),
    )
    sale_model = _sale_model()
    if sale_model is None:
        return partners.annotate(scorecard_actual=Value(None, output_field=MONEY))
    return partners.annotate(scorecard_actual=_net_sales(sale_model, period))


def target_current_row(partner: Partner, period: str) -> ScorecardRow | None:
    """The scorecard row of `period` of `partner`, read by `target_current_annotate` (what
    `target_scorecard_current` gives)."""
    if partner.scorecard_target is None:
        return None
    return ScorecardRow(
        period=period,
        status=partner.scorecard_status,
        currency=partner.scorecard_currency,
        target=partner.scorecard_amount,
        actual=partner.scorecard_actual,
    )


@functools.lru_cache(maxsize=4)
def _period_target(period: str) -> PreparedQuery:
    """A partner's target of `period` (its id given on each call), compiled once."""
    return PreparedQuery(
        lambda partner: Target.objects.filter(partner_id=partner, period=period)[:1],
        "partner",
        plan_once=True,
    )


@functools.cache
def _net_sales_by_month(sale_model) -> PreparedQuery:
    """A partner's net sales of each month from `start` to `end` (its id and the days given on
    each call) in `sale_model`, as (first day of the month, net) rows, compiled once."""
    return PreparedQuery(
        lambda partner, start, end: (
            sale_model.objects.filter(partner_id=partner, invoice_date__range=(start, end))
            .annotate(month=TruncMonth("invoice_date"))
            .order_by()
            .values_list("month")
            .annotate(net=_signed_net())
        ),
        "partner",
        dates=("start", "end"),
        plan_once=True,
    )


def _scorecard(partner: Partner, targets: list[Target]) -> Scorecard:
    """The scorecard of `targets` (latest period first): each with the partner's net sales of
    its period."""
    sale_model = _sale_model()
    actual_by_period: dict[str, Decimal] = {}
    if sale_model is not None and targets:
        start = period_bounds(targets[-1].period)[0]
        end = period_bounds(targets[0].period)[1]
        rows = _net_sales_by_month(sale_model)(partner=partner.pk, start=start, end=end)
        actual_by_period = {period_of(month): net for month, net in rows}
    return Scorecard(
        rows=[
            ScorecardRow(
                period=target.period,
                status=target.status,
                currency=target.currency,
                target=target.amount,
                actual=(
                    actual_by_period.get(target.period, Decimal("0"))
                    if sale_model is not None
                    else None
                ),
            )
            for target in targets
        ],
        sales_available=sale_model is not None,
    )


def target_thread_list(*, partner: Partner, limit: int = 12) -> list[Target]:
    """The partner's targets, latest period first, each with its whole proposal thread."""
    proposals = TargetProposal.objects.select_related("proposed_by", "responded_by").order_by(
        "created_at", "id"
    )
    return list(
        partner.targets.order_by("-period").prefetch_related(
            Prefetch("proposals", queryset=proposals)
        )[:limit]
    )


def target_proposal_get(*, partner: Partner, pk: int) -> TargetProposal:
    try:
        return TargetProposal.objects.select_related("target__partner").get(
            pk=pk, target__partner=partner
        )
    except TargetProposal.DoesNotExist as exc:
        raise Http404 from exc


def target_proposals_awaiting(*, partners: QuerySet[Partner], side: str) -> QuerySet:
    """Open proposals made by the other side to `side`, on the given partners."""
    return (
        TargetProposal.objects.filter(
            status=TargetProposal.Status.OPEN, target__partner__in=partners
        )
        .exclude(side=side)
        .select_related("target__partner")
        .order_by("created_at", "id")
    )
