"""Reads of the partner pulse: quarters, the questions asked, a partner's response, the results
for vendor staff by partner, tier and territory, and the recommendation score per partner that
relationship health reads (`pulse_scores`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from partners.models import Partner
from partners.selectors import partner_visible_queryset

from .models import PulseAnswer, PulseQuestion, PulseResponse

ONE_DECIMAL = Decimal("0.1")
# The recommendation score at or below which the account manager gets an action item.
LOW_RECOMMENDATION = 6


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    """The first and last day of `YYYY-Qn`."""
    year, number = int(quarter[:4]), int(quarter[-1])
    start = dt.date(year, 3 * number - 2, 1)
    following = dt.date(year + 1, 1, 1) if number == 4 else dt.date(year, 3 * number + 1, 1)
    return start, following - dt.timedelta(days=1)


def quarters_back(quarter: str, count: int) -> list[str]:
    """`count` quarters ending with `quarter`, oldest first."""
    year, number = int(quarter[:4]), int(quarter[-1])
    index = year * 4 + number - 1
    return [f"{i // 4}-Q{i % 4 + 1}" for i in range(index - count + 1, index + 1)]


def current_quarter(today: dt.date | None = None) -> str:
    return quarter_of(today or timezone.localdate())


def pulse_questions() -> list[PulseQuestion]:
    """The questions asked now, in order."""
    return list(PulseQuestion.objects.filter(is_active=True).order_by("position", "id"))


def pulse_response_get(*, partner: Partner, quarter: str) -> PulseResponse | None:
    return (
        PulseResponse.objects.filter(partner=partner, quarter=quarter)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("answers", PulseAnswer.objects.select_related("question")))
        .first()
    )


def pulse_scores(partner_ids=None) -> dict[int, Decimal]:
    """Each partner's recommendation score (0–10) in the latest quarter it answered, in one
    query for any number of partners; partners that never answered are absent."""
    latest = (
        PulseResponse.objects.filter(partner_id=OuterRef("partner_id"), recommend__isnull=False)
        .order_by("-quarter")
        .values("quarter")[:1]
    )
    rows = PulseResponse.objects.filter(recommend__isnull=False, quarter=Subquery(latest))
    if partner_ids is not None:
        rows = rows.filter(partner_id__in=partner_ids)
    return {pid: Decimal(score) for pid, score in rows.values_list("partner_id", "recommend")}


def _average(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / len(values)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


@dataclass
class PulseGroup:
    """One row of the results: a partner, a tier or a territory, with its average
    recommendation per quarter (None where nobody answered)."""

    label: str
    scores: list[Decimal | None]
    answered: int = 0


@dataclass
class PulseResults:
    quarters: list[str]
    by_partner: list[PulseGroup] = field(default_factory=list)
    by_tier: list[PulseGroup] = field(default_factory=list)
    by_territory: list[PulseGroup] = field(default_factory=list)
    overall: list[Decimal | None] = field(default_factory=list)
    ratings: list[PulseGroup] = field(default_factory=list)
    comments: list[tuple[PulseResponse, str]] = field(default_factory=list)
    response_rate: tuple[int, int] = (0, 0)


def _groups(keyed: dict, labels: dict, quarters: list[str]) -> list[PulseGroup]:
    rows = []
    for key, label in sorted(labels.items(), key=lambda kv: str(kv[1])):
        per_quarter = keyed.get(key, {})
        rows.append(
            PulseGroup(
                label=label,
                scores=[_average(per_quarter.get(q, [])) for q in quarters],
                answered=sum(len(v) for v in per_quarter.values()),
            )
        )
    return rows


def pulse_response_list(*, user, quarters: list[str]) -> QuerySet[PulseResponse]:
    partners = partner_visible_queryset(user=user)
    return PulseResponse.objects.filter(
        partner__in=partners.values("pk"), quarter__in=quarters
    ).select_related("partner__tier")


def pulse_results(
    *, user, quarter: str, count: int = 4, tier: str = "", territory: str = ""
) -> PulseResults:
    """The pulse of the partners `user` may see over `count` quarters ending with `quarter`:
    the average recommendation by partner, tier and territory, the average of each rating
    question, and the free text of `quarter`. A fixed number of queries whatever the number of
    partners and responses."""
    quarters = quarters_back(quarter, count)
    partners = partner_visible_queryset(user=user).filter(status=Partner.Status.ACTIVE)
    if tier:
        partners = partners.filter(tier__code=tier)
    if territory:
        partners = partners.filter(territories__code=territory)
    responses = list(
        PulseResponse.objects.filter(partner__in=partners.values("pk"), quarter__in=quarters)
        .select_related("partner__tier")
        .order_by("partner__code", "quarter")
    )
    territory_rows = Partner.territories.through.objects.filter(
        partner_id__in={r.partner_id for r in responses}
    ).values_list("partner_id", "territory__code")
    territories = defaultdict(list)
    for partner_id, code in territory_rows:
        territories[partner_id].append(code)

    by_partner, by_tier, by_territory, overall = (
        defaultdict(lambda: defaultdict(list)) for _ in range(4)
    )
    partner_labels, tier_labels, territory_labels = {}, {}, {}
    for response in responses:
        if response.recommend is None:
            continue
        partner = response.partner
        by_partner[partner.pk][response.quarter].append(response.recommend)
        partner_labels[partner.pk] = f"{partner.code} · {partner.display_name}"
        tier_key = partner.tier_id or 0
        tier_labels[tier_key] = partner.tier.display_name if partner.tier_id else "—"
        by_tier[tier_key][response.quarter].append(response.recommend)
        for code in territories.get(partner.pk, []):
            territory_labels[code] = code
            by_territory[code][response.quarter].append(response.recommend)
        overall[0][response.quarter].append(response.recommend)

    results = PulseResults(quarters=quarters)
    results.by_partner = _groups(by_partner, partner_labels, quarters)
    results.by_tier = _groups(by_tier, tier_labels, quarters)
    results.by_territory = _groups(by_territory, territory_labels, quarters)
    results.overall = [_average(overall[0].get(q, [])) for q in quarters]
    results.ratings = _ratings(responses, quarters)
    results.comments = [
        (r, r.comment) for r in responses if r.quarter == quarter and r.comment.strip()
    ]
    results.response_rate = (
        sum(1 for r in responses if r.quarter == quarter),
        partners.count(),
    )
    return results


def _ratings(responses: list[PulseResponse], quarters: list[str]) -> list[PulseGroup]:
    answers = (
        PulseAnswer.objects.filter(
            response__in=[r.pk for r in responses],
            question__kind=PulseQuestion.Kind.RATING,
            score__isnull=False,
        )
        .values_list("question_id", "response__quarter", "score")
        .order_by()
    )
    keyed = defaultdict(lambda: defaultdict(list))
    for question_id, quarter, score in answers:
        keyed[question_id][quarter].append(score)
    questions = PulseQuestion.objects.filter(kind=PulseQuestion.Kind.RATING).order_by("position")
    return [
        PulseGroup(
            label=q.display_text,
            scores=[_average(keyed[q.pk].get(x, [])) for x in quarters],
            answered=sum(len(v) for v in keyed[q.pk].values()),
        )
        for q in questions
        if q.is_active or q.pk in keyed
    ]
