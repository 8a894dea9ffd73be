"""The program file's `commission_plans` and `targets` sections (spec, Channel program file)."""

import datetime as dt
from decimal import Decimal

import pytest

from agreements.services.program import ProgramFileError
from commissions.models import CommissionPlan, PlanVersion, RecomputeRequest, Rule
from partners.models import Target

from .builders import load, plan, program

pytestmark = pytest.mark.django_db
D = Decimal
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


def test_a_plan_is_stored_with_its_rules_in_priority_order():
    load(
        program(
            commission_plans=[
                plan(
                    {
                        "priority": 30,
                        "kind": "tiered_flat",
                        "brackets": [{"upto": None, "rate": "1"}],
                    },
                    {"priority": 20, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
                    NET_5,
                    settlement="quarter",
                    clawback_days=45,
                    cap="9000.00",
                    accelerator={"threshold": "110", "multiplier": "1.25"},
                )
            ]
        )
    )

    version = PlanVersion.objects.get()
    assert (
        version.plan.code,
        version.effective_from,
        version.settlement,
        version.clawback_days,
        version.cap,
        version.accelerator_threshold,
        version.accelerator_multiplier,
    ) == ("STD", dt.date(2000, 1, 1), "quarter", 45, D("9000"), D("110"), D("1.25"))
    assert [
        (r.priority, r.kind, r.line and r.line.code, r.product and r.product.sku, r.rate, r.amount)
        for r in version.rules.order_by("priority")
    ] == [
        (10, "percent", "NET", None, D("5"), None),
        (20, "per_unit", None, "SW-24", None, D("100")),
        (30, "tiered_flat", None, None, None, None),
    ]
    assert Rule.objects.get(priority=30).brackets == [{"upto": None, "rate": "1"}]


def test_a_changed_plan_without_a_date_takes_effect_on_the_day_it_is_loaded():
    load(program(commission_plans=[plan(NET_5)]))

    load(
        program(commission_plans=[plan({**NET_5, "rate": "6"})]),
        today=dt.date(2026, 11, 20),
    )

    assert list(
        PlanVersion.objects.order_by("effective_from").values_list("effective_from", "rules__rate")
    ) == [(dt.date(2000, 1, 1), D("5")), (dt.date(2026, 11, 20), D("6"))]
    assert CommissionPlan.objects.count() == 1
    assert RecomputeRequest.objects.filter(period="2026-11", reason="plan changed").exists()


def test_targets_are_loaded_as_agreed_in_the_partners_currency():
    load(
        program(
            targets=[
                {"partner": "P-ACME", "period": "2026-10", "amount": "100000"},
                {"partner": "P-YEN", "period": "2026-10", "amount": "5000000"},
            ]
        )
    )

    assert sorted(
        Target.objects.values_list("partner__code", "period", "amount", "currency", "status")
    ) == [
        ("P-ACME", "2026-10", D("100000"), "TWD", "agreed"),
        ("P-YEN", "2026-10", D("5000000"), "JPY", "agreed"),
    ]
    assert all(t.agreed_at for t in Target.objects.all())
    assert RecomputeRequest.objects.filter(reason="target changed").count() == 2


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (
            plan({**NET_5, "kind": "bonus"}),
            "commission_plans[0].rules[0].kind: must be one of percent, per_unit, "
            "tiered_marginal, tiered_flat",
        ),
        (
            plan({**NET_5, "line": "ZZZ"}),
            "commission_plans[0].rules[0].line: unknown product line 'ZZZ'",
        ),
        (
            plan({**NET_5, "sku": "SW-24"}),
            "commission_plans[0].rules[0]: scope is a line or a SKU, not both",
        ),
        (
            plan(NET_5, {**NET_5, "line": "SEC"}),
            "commission_plans[0].rules[1].priority: duplicate priority 10",
        ),
        (
            plan({**NET_5, "rate": 5.0}),
            'commission_plans[0].rules[0].rate: not a decimal (write it as a string, e.g. "12.50")',
        ),
        (
            plan(
                {
                    "priority": 1,
                    "kind": "tiered_marginal",
                    "brackets": [{"upto": "10", "rate": "1"}, {"upto": "10", "rate": "2"}],
                }
            ),
            "commission_plans[0].rules[0].brackets[1].upto: brackets must rise",
        ),
        (
            plan(
                {
                    "priority": 1,
                    "kind": "tiered_flat",
                    "brackets": [{"upto": None, "rate": "1"}, {"upto": "10", "rate": "2"}],
                }
            ),
            "commission_plans[0].rules[0].brackets[0].upto: "
            "only the last bracket may be open-ended",
        ),
        (
            plan(NET_5, settlement="year"),
            "commission_plans[0].settlement: must be month or quarter",
        ),
        (plan(), "commission_plans[0].rules: must be a non-empty list"),
    ],
)
def test_a_bad_plan_is_reported_by_its_path_and_nothing_is_loaded(entry, error):
    with pytest.raises(ProgramFileError) as raised:
        load(program(commission_plans=[entry]))

    assert error in raised.value.errors
    assert not CommissionPlan.objects.exists()


def test_a_plan_code_given_twice_is_refused():
    with pytest.raises(ProgramFileError) as raised:
        load(program(commission_plans=[plan(NET_5), plan({**NET_5, "rate": "6"})]))

    assert raised.value.errors == ["commission_plans[1].code: duplicate of commission_plans[0]"]


@pytest.mark.parametrize(
    ("targets", "error"),
    [
        (
            [{"partner": "P-NOPE", "period": "2026-10", "amount": "1"}],
            "targets[0].partner: unknown partner 'P-NOPE'",
        ),
        (
            [{"partner": "P-ACME", "period": "2026-Q4", "amount": "1"}],
            "targets[0].period: not a month (YYYY-MM)",
        ),
        (
            [{"partner": "P-ACME", "period": "2026-10", "amount": "0"}],
            "targets[0].amount: must be at least 0.01",
        ),
        (
            [
                {"partner": "P-ACME", "period": "2026-10", "amount": "1"},
                {"partner": "P-ACME", "period": "2026-10", "amount": "2"},
            ],
            "targets[1].period: duplicate of targets[0]",
        ),
    ],
)
def test_a_bad_target_is_reported_by_its_path(targets, error):
    with pytest.raises(ProgramFileError) as raised:
        load(program(targets=targets))

    assert raised.value.errors == [error]
    assert not Target.objects.exists()
