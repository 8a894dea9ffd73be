"""Relationship health against hand-computed scores."""

import datetime as dt
from decimal import Decimal

import pytest

from disputes.models import Case
from engagement import health as health_module
from engagement.health import (
    Part,
    PartValue,
    health_current,
    health_falling,
    health_get,
    health_measure,
    health_score,
    previous_quarter,
    quarter_label,
)
from engagement.models import HealthSnapshot, HealthWeight, PulseResponse
from engagement.services import health_snapshots_take
from engagement.templatetags.engagement import health_part_rows
from partners.models import Partner, Target
from tests.factories import PartnerFactory

from .helpers import NOW, case, review, statement

pytestmark = pytest.mark.django_db


def test_the_score_is_the_weighted_mean_of_the_parts_with_a_value():
    parts = [
        PartValue("attainment", "Attainment", 30, 80),
        PartValue("open_cases", "Open cases", 15, 60),
        PartValue("compliance", "Compliance", 15, 100),
        PartValue("reviews", "Reviews", 15, None),  # no data: left out
        PartValue("commitments", "Commitments", 25, 50),
    ]
    # (30×80 + 15×60 + 15×100 + 25×50) / (30 + 15 + 15 + 25) = 6050 / 85 = 71.18 → 71
    assert health_score(parts) == 71


def test_the_score_rounds_half_up_and_ignores_a_zero_weight():
    parts = [PartValue("a", "A", 1, 70), PartValue("b", "B", 1, 71), PartValue("c", "C", 0, 0)]
    assert health_score(parts) == 71  # 70.5 → 71
    assert health_score([PartValue("a", "A", 10, None)]) is None


def test_a_partners_parts_come_from_its_records(world):
    partner = world.partner
    Target.objects.create(
        partner=partner,
        period="2026-06",
        currency="TWD",
        amount=Decimal("1000"),
        status=Target.Status.AGREED,
        agreed_at=NOW,
    )
    opened = NOW - dt.timedelta(days=2)
    case(partner, opened=opened, priority="normal", responded=opened + dt.timedelta(hours=2))
    Case.objects.filter(partner=partner).update(status=Case.Status.IN_PROGRESS)
    # Payouts: one met (day 30), one missed (day 31). Reviews: one on time, one a day late.
    statement(partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 30))
    statement(partner, dt.date(2026, 3, 31), paid_on=dt.date(2026, 5, 1))
    review(partner, scheduled=dt.date(2026, 2, 10), held=dt.date(2026, 2, 10))
    review(partner, scheduled=dt.date(2026, 5, 12), held=dt.date(2026, 5, 13))
    HealthWeight.objects.create(part="reviews", weight=20)

    health = health_measure(Partner.objects.filter(pk=partner.pk), now=NOW)[partner.pk]

    values = {p.key: (p.weight, p.value) for p in health.parts}
    assert values == {
        "attainment": (30, 0),  # a target of 1,000 and no sales yet
        "open_cases": (15, 80),  # one open case: 100 − 20
        "compliance": (15, 100),
        "reviews": (20, 50),  # the admins' weight
        # payouts 1/2, reviews 1/2, the case's first answer 1/1: 3 of 5 met
        "commitments": (25, 60),
        "pulse": (15, None),  # never answered the pulse: left out of the score
    }
    # (30×0 + 15×80 + 15×100 + 20×50 + 25×60) / 105 = 5200 / 105 = 49.52 → 50
    assert health.score == 50
    HealthWeight.objects.filter(part="reviews").update(weight=15)
    # (0 + 1200 + 1500 + 750 + 1500) / 100 = 49.5 → 50, rounded half up
    assert health_measure(Partner.objects.filter(pk=partner.pk), now=NOW)[partner.pk].score == 50


def test_the_pulse_part_is_the_latest_recommendation_on_the_hundred_scale(world):
    partner = world.partner
    PulseResponse.objects.create(partner=partner, quarter="2026-Q1", recommend=9)
    PulseResponse.objects.create(partner=partner, quarter="2026-Q2", recommend=7)
    # A response without a recommendation does not replace the latest score.
    PulseResponse.objects.create(partner=partner, quarter="2026-Q3", recommend=None)

    health = health_measure(Partner.objects.filter(pk=partner.pk), now=NOW)[partner.pk]

    values = {p.key: (p.weight, p.value) for p in health.parts}
    assert values["pulse"] == (15, 70)
    # Attainment has no target, no case is open, nothing is measured but the pulse:
    # (15×100 + 15×100 + 15×70) / 45 = 90
    assert values["open_cases"] == (15, 100)
    assert values["compliance"] == (15, 100)
    assert health.score == 90


def test_a_registered_part_is_counted_and_shown(world, monkeypatch):
    monkeypatch.setattr(health_module, "PARTS", dict(health_module.PARTS))
    health_module.register_part(
        Part("pulse", "Partner pulse", 10, lambda partners, context: {world.partner.pk: 40})
    )

    result = health_measure(Partner.objects.all(), now=NOW)

    assert [p.key for p in result[world.partner.pk].parts][-1] == "pulse"
    assert result[world.partner.pk].parts[-1].value == 40
    assert result[world.other_partner.pk].parts[-1].value is None


@pytest.mark.parametrize("extra", [0, 12])
def test_health_runs_a_constant_number_of_queries(world, extra, django_assert_num_queries):
    for partner in PartnerFactory.create_batch(extra):
        statement(partner, dt.date(2026, 4, 30), paid_on=dt.date(2026, 5, 31))
        review(partner, scheduled=dt.date(2026, 4, 15), held=dt.date(2026, 4, 16))

    # Weights, partner ids, then attainment, open cases, incidents, the commitments' seven and
    # the partner pulse.
    with django_assert_num_queries(13):
        result = health_measure(Partner.objects.all(), now=NOW)
    assert len(result) == 2 + extra


def test_quarters():
    assert quarter_label(dt.date(2026, 6, 17)) == "2026-Q2"
    assert previous_quarter("2026-Q1") == "2025-Q4"
    assert previous_quarter("2026-Q3") == "2026-Q2"


@pytest.mark.parametrize(("before", "now", "falling"), [(80, 65, True), (80, 66, False)])
def test_a_fall_of_fifteen_points_in_a_quarter_is_falling(world, before, now, falling):
    HealthSnapshot.objects.create(
        partner=world.partner, quarter="2026-Q1", score=before, taken_at=NOW
    )
    HealthSnapshot.objects.create(partner=world.partner, quarter="2026-Q2", score=now, taken_at=NOW)

    found = health_falling(Partner.objects.all(), today=dt.date(2026, 6, 17))

    assert [s.partner for s in found] == ([world.partner] if falling else [])
    if falling:
        assert found[0].previous == before


def test_the_current_score_is_read_in_one_query_once_stored(world, django_assert_num_queries):
    review(world.partner, scheduled=dt.date(2026, 5, 12), held=dt.date(2026, 5, 13))

    # No snapshot of 2026-Q2 yet: measured live (13 queries), stored, then read back.
    with django_assert_num_queries(1 + 13 + 2):
        first = health_current(world.partner, now=NOW)

    later = NOW + dt.timedelta(hours=5)
    with django_assert_num_queries(1):
        second = health_current(world.partner, now=later)
    assert second == first
    assert (first.taken_at, first.score) == (NOW, health_get(world.partner, now=NOW).score)
    snapshot = HealthSnapshot.objects.get(partner=world.partner)
    assert (snapshot.quarter, snapshot.score, snapshot.taken_at) == ("2026-Q2", first.score, NOW)


def test_the_nightly_run_rewrites_the_snapshot_the_pages_read(world):
    first = health_current(world.partner, now=NOW)
    review(world.partner, scheduled=dt.date(2026, 5, 12), held=dt.date(2026, 5, 13))
    night = NOW + dt.timedelta(hours=14)

    health_snapshots_take(now=night)

    current = health_current(world.partner, now=night + dt.timedelta(hours=1))
    assert current.taken_at == night
    # The late review: reviews 0 and commitments 0 of 1 now count.
    assert current.score != first.score
    assert current.score == health_get(world.partner, now=night).score


def test_the_health_table_writes_each_part_with_its_weight_and_value_or_no_data():
    rows = health_part_rows(
        [
            PartValue("commitments", "Commitments <kept>", 40, 87),
            PartValue("pulse", "Pulse", 1200, None),
        ]
    )
    assert rows == (
        '<tr data-part="commitments"><th scope="row" class="stack-title fw-normal">Commitments '
        '&lt;kept&gt;</th><td class="num" data-label="Weight">40</td><td class="num" '
        'data-label="Value">87</td></tr><tr data-part="pulse"><th scope="row" class="stack-title '
        'fw-normal">Pulse</th><td class="num" data-label="Weight">1200</td><td class="num" '
        'data-label="Value"><span class="text-body-secondary">no data</span></td></tr>'
    )
