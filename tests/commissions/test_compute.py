"""Statements through the real pipeline (spec, Commission, steps 1-6): a program loaded by the
program loader, sales rows, `recompute`, then the exact lines and totals."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement, AgreementVersion
from agreements.services.program import ProgramFileError
from commissions import periods
from commissions.models import Adjustment, PlanVersion, Rule, Sale, Statement
from commissions.selectors import statement_line_sales
from commissions.services.compute import matched_sale_ids, recompute
from commissions.services.imports import sales_import
from commissions.services.statements import adjustment_create
from partners.models import Target

from .builders import (
    csv_bytes,
    lines,
    load,
    local_noon,
    partner,
    plan,
    program,
    sale,
    sale_return,
    snapshot,
    statement,
)

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLE = Path(__file__).parent.parent / "agreements" / "program_example.yaml"
MARGINAL = [{"upto": "100000", "rate": "3"}, {"upto": None, "rate": "6"}]
FLAT = [{"upto": "50000", "rate": "2"}, {"upto": None, "rate": "4"}]
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


def _acme(month: str = "2026-10") -> dict:
    return recompute(month_label=month, partner_ids=[partner("P-ACME").pk])


# 4. Each rule kind -------------------------------------------------------------------------------


def test_percent_rule_earns_volume_times_rate():
    # given
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-05", "60000.00", "5")
    sale("P-ACME", "SW-48", "2026-10-31", "48000.00", "2")
    sale("P-ACME", "SW-48", "2026-11-01", "99999.00", "2")  # next month: not in October

    # when
    _acme()

    # then
    st_ = statement("P-ACME", "2026-10")
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 108,000.00 × 5% = 5,400.00", D("5400.00"))
    ]
    line = st_.lines.get()
    assert (line.kind, line.volume, line.quantity, line.sale_count) == (
        "rule",
        D("108000.00"),
        D("7.00"),
        2,
    )
    assert (st_.status, st_.currency, st_.total, st_.net_sales) == (
        "draft",
        "TWD",
        D("5400.00"),
        D("108000.00"),
    )
    assert (st_.period_start, st_.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (st_.unmatched_count, st_.unmatched_amount) == (0, D("0"))
    assert st_.computed_at is not None


def test_per_unit_rule_earns_quantity_times_amount():
    load(
        program(
            commission_plans=[
                plan({"priority": 10, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"})
            ]
        )
    )
    sale("P-ACME", "SW-24", "2026-10-05", "36000.00", "3")
    sale("P-ACME", "SW-24", "2026-10-06", "24000.00", "2")

    _acme()

    assert lines("P-ACME", "2026-10") == [("SW-24, per unit: 5.00 × 100 = 500.00", D("500.00"))]
    assert statement("P-ACME", "2026-10").total == D("500.00")


@pytest.mark.parametrize(
    ("kind", "brackets", "amounts", "description", "amount"),
    [
        (
            "tiered_marginal",
            MARGINAL,
            ["90000.00", "60000.00"],
            "all products, tiered marginal: 100,000.00 × 3% + 50,000.00 × 6% = 6,000.00",
            "6000.00",
        ),
        (
            "tiered_marginal",
            MARGINAL,
            ["60000.00", "40000.00"],
            "all products, bracket 1: 100,000.00 × 3% = 3,000.00",
            "3000.00",
        ),
        (
            "tiered_marginal",
            MARGINAL,
            ["60000.00", "40000.01"],
            # 3,000 + 0.0006, rounded
            "all products, tiered marginal: 100,000.00 × 3% + 0.01 × 6% = 3,000.00",
            "3000.00",
        ),
        (
            "tiered_flat",
            FLAT,
            ["30000.00", "20000.00"],
            "all products, bracket 1: 50,000.00 × 2% = 1,000.00",
            "1000.00",
        ),
        (
            "tiered_flat",
            FLAT,
            ["30000.00", "20000.01"],
            # 2,000.0004, rounded
            "all products, bracket 2: 50,000.01 × 4% = 2,000.00",
            "2000.00",
        ),
    ],
)
def test_tiered_rules_apply_to_the_rules_volume_over_the_period(
    kind, brackets, amounts, description, amount
):
    load(program(commission_plans=[plan({"priority": 10, "kind": kind, "brackets": brackets})]))
    sale("P-ACME", "FW-1", "2026-10-05", amounts[0])
    sale("P-ACME", "AP-1", "2026-10-25", amounts[1])

    _acme()

    assert lines("P-ACME", "2026-10") == [(description, D(amount))]


# 2. First match in priority order --------------------------------------------------------------

PRIORITY_SALES = [
    ("SW-24", "24000.00", "2"),
    ("SW-48", "20000.00", "1"),
    ("FW-1", "30000.00", "1"),
    ("AP-1", "5000.00", "1"),
]


def _priority_sales():
    for sku, amount, quantity in PRIORITY_SALES:
        sale("P-ACME", sku, "2026-10-10", amount, quantity)


def test_a_sku_rule_before_a_line_rule_takes_that_sku_and_the_rest_falls_through():
    load(
        program(
            commission_plans=[
                plan(
                    {"priority": 30, "kind": "percent", "rate": "1"},
                    {"priority": 20, "line": "NET", "kind": "percent", "rate": "5"},
                    {"priority": 10, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
                )
            ]
        )
    )
    _priority_sales()

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("SW-24, per unit: 2.00 × 100 = 200.00", D("200.00")),
        ("Networking, percent: 20,000.00 × 5% = 1,000.00", D("1000.00")),
        ("all products, percent: 35,000.00 × 1% = 350.00", D("350.00")),
    ]
    assert statement("P-ACME", "2026-10").total == D("1550.00")


def test_a_line_rule_before_a_sku_rule_leaves_the_sku_rule_nothing():
    load(
        program(
            commission_plans=[
                plan(
                    {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"},
                    {"priority": 20, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
                    {"priority": 30, "kind": "percent", "rate": "1"},
                )
            ]
        )
    )
    _priority_sales()

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 44,000.00 × 5% = 2,200.00", D("2200.00")),
        ("all products, percent: 35,000.00 × 1% = 350.00", D("350.00")),
    ]


def test_a_line_matching_no_rule_is_unmatched_and_earns_nothing():
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "12000.00")
    sale("P-ACME", "FW-1", "2026-10-11", "30000.00")
    sale("P-ACME", "AP-1", "2026-10-12", "5000.00")

    _acme()

    st_ = statement("P-ACME", "2026-10")
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 12,000.00 × 5% = 600.00", D("600.00"))
    ]
    assert (st_.unmatched_count, st_.unmatched_amount, st_.net_sales, st_.total) == (
        2,
        D("35000.00"),
        D("47000.00"),
        D("600.00"),
    )


# 1. The plan of the agreement version in force on the invoice date ---------------------------


def test_lines_of_a_partner_without_agreement_are_unmatched():
    load(program(commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})]))
    sale("P-BETA", "SW-24", "2026-10-10", "10000.00")
    sale("P-BETA", "FW-1", "2026-10-11", "5000.00")

    recompute(month_label="2026-10")

    st_ = statement("P-BETA", "2026-10")
    assert lines("P-BETA", "2026-10") == []
    assert (st_.total, st_.unmatched_count, st_.unmatched_amount, st_.net_sales) == (
        D("0"),
        2,
        D("15000.00"),
        D("15000.00"),
    )


def test_lines_outside_the_agreement_dates_are_unmatched():
    agreements = program()["agreements"]
    agreements[0] = {**agreements[0], "start": "2026-10-10", "end": "2026-10-20"}
    load(program(agreements=agreements, commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-09", "1000.00")
    sale("P-ACME", "SW-24", "2026-10-10", "2000.00")
    sale("P-ACME", "SW-24", "2026-10-20", "4000.00")
    sale("P-ACME", "SW-24", "2026-10-21", "8000.00")

    _acme()

    st_ = statement("P-ACME", "2026-10")
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 6,000.00 × 5% = 300.00", D("300.00"))
    ]
    assert (st_.unmatched_count, st_.unmatched_amount) == (2, D("9000.00"))


def test_an_agreement_version_without_a_plan_earns_nothing():
    agreements = program()["agreements"]
    agreements[0] = {**agreements[0], "plan": None}
    load(program(agreements=agreements, commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "1000.00")

    _acme()

    assert lines("P-ACME", "2026-10") == []
    assert statement("P-ACME", "2026-10").unmatched_count == 1


def test_lines_from_the_termination_date_on_are_unmatched():
    load(program(commission_plans=[plan(NET_5)]))
    Agreement.objects.filter(number="AG-ACME").update(termination_effective=dt.date(2026, 10, 15))
    sale("P-ACME", "SW-24", "2026-10-14", "1000.00")
    sale("P-ACME", "SW-24", "2026-10-15", "2000.00")

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 1,000.00 × 5% = 50.00", D("50.00"))
    ]
    assert statement("P-ACME", "2026-10").unmatched_amount == D("2000.00")


def test_a_new_agreement_version_switches_plans_from_the_day_it_is_in_force():
    # given STD (5%) in force from January, then a version naming PRO (8%) from 16 October
    load(
        program(
            commission_plans=[
                plan(NET_5),
                plan({"priority": 10, "line": "NET", "kind": "percent", "rate": "8"}, code="PRO"),
            ]
        )
    )
    agreement = Agreement.objects.get(number="AG-ACME")
    AgreementVersion.objects.create(
        agreement=agreement,
        number=2,
        status=AgreementVersion.Status.ACCEPTED,
        effective_date=dt.date(2026, 10, 16),
        in_force_from=dt.date(2026, 10, 16),
        commission_plan="PRO",
        accepted_at=timezone.now(),
    )
    sale("P-ACME", "SW-24", "2026-10-15", "10000.00")
    sale("P-ACME", "SW-24", "2026-10-16", "20000.00")
    # A version still awaiting acceptance changes nothing.
    AgreementVersion.objects.create(
        agreement=agreement,
        number=3,
        status=AgreementVersion.Status.AWAITING_ACCEPTANCE,
        effective_date=dt.date(2026, 10, 1),
        commission_plan="",
    )

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 10,000.00 × 5% = 500.00", D("500.00")),
        ("Networking, percent: 20,000.00 × 8% = 1,600.00", D("1600.00")),
    ]


def test_a_plan_changed_mid_period_applies_old_rules_before_and_new_rules_after():
    # given STD at 5%, then the program file changes it to 8% effective 16 October
    load(program(commission_plans=[plan(NET_5)]))
    load(
        program(
            commission_plans=[
                plan(
                    {"priority": 10, "line": "NET", "kind": "percent", "rate": "8"},
                    effective_from="2026-10-16",
                )
            ]
        )
    )
    assert list(
        PlanVersion.objects.order_by("effective_from").values_list("effective_from", flat=True)
    ) == [dt.date(2000, 1, 1), dt.date(2026, 10, 16)]
    sale("P-ACME", "SW-24", "2026-10-10", "10000.00")
    sale("P-ACME", "SW-48", "2026-10-15", "2000.00")
    sale("P-ACME", "SW-24", "2026-10-16", "10000.00")

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 12,000.00 × 5% = 600.00", D("600.00")),
        ("Networking, percent: 10,000.00 × 8% = 800.00", D("800.00")),
    ]
    assert statement("P-ACME", "2026-10").total == D("1400.00")


def test_reloading_an_unchanged_program_keeps_one_plan_version():
    data = program(
        commission_plans=[
            plan(
                NET_5,
                {"priority": 20, "sku": "FW-1", "kind": "per_unit", "amount": "100"},
                {"priority": 30, "kind": "tiered_marginal", "brackets": MARGINAL},
                cap="1000",
                accelerator={"threshold": "110", "multiplier": "1.25"},
            )
        ]
    )
    load(data)

    load(data, today=dt.date(2026, 9, 2))

    assert PlanVersion.objects.count() == 1


def test_a_plan_version_used_by_statements_cannot_be_rewritten_in_place():
    changed = {"priority": 10, "line": "NET", "kind": "percent", "rate": "8"}
    load(program(commission_plans=[plan(NET_5)]))
    load(program(commission_plans=[plan(changed, effective_from="2026-10-16")]))
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00")
    _acme()

    with pytest.raises(ProgramFileError) as raised:
        load(
            program(commission_plans=[plan({**changed, "rate": "9"}, effective_from="2026-10-16")])
        )

    assert raised.value.errors == [
        "commission_plans[0].effective_from: the version of plan STD from 2026-10-16 is already "
        "used by payout statements; give the change a later effective_from"
    ]
    assert list(
        Rule.objects.order_by("version__effective_from").values_list("rate", flat=True)
    ) == [
        D("5"),
        D("8"),
    ]


def test_the_sales_behind_each_line_are_those_the_line_was_computed_from():
    load(
        program(
            commission_plans=[
                plan(
                    {"priority": 10, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
                    {"priority": 20, "line": "NET", "kind": "percent", "rate": "5"},
                    clawback_days=10,
                )
            ]
        )
    )
    switch = sale("P-ACME", "SW-24", "2026-10-01", "12000.00", external_id="A-SW24")
    sale("P-ACME", "SW-48", "2026-10-02", "20000.00", external_id="B-SW48")
    sale("P-ACME", "FW-1", "2026-10-03", "30000.00", external_id="C-FW1")
    big = sale("P-ACME", "SW-48", "2026-09-01", "20000.00", external_id="D-SW48-SEP")
    late = sale_return(big, "2026-10-04", "20000.00")  # 33 days: earns nothing back
    on_time = sale_return(switch, "2026-10-05", "12000.00")
    # no rule for wireless: the sale and its (late) return are both unmatched
    wireless = sale("P-ACME", "AP-1", "2026-09-01", "5000.00", external_id="E-AP1-SEP")
    wireless_back = sale_return(wireless, "2026-10-06", "5000.00")
    _acme()
    october = statement("P-ACME", "2026-10")
    per_unit, percent = october.lines.order_by("position")

    def behind(line):
        return list(statement_line_sales(statement=october, line=line))

    assert behind(per_unit) == [switch, on_time]
    assert [s.external_id for s in behind(percent)] == ["B-SW48"]
    assert behind(None) == [Sale.objects.get(external_id="C-FW1"), wireless_back]
    assert (per_unit.sale_count, percent.sale_count) == (2, 1)
    assert (october.unmatched_count, october.unmatched_amount) == (2, D("25000.00"))
    assert late not in behind(per_unit) + behind(percent) + behind(None)


# 3. Returns ---------------------------------------------------------------------------------------


def test_a_return_within_clawback_counts_negative_in_its_own_period():
    load(program(commission_plans=[plan(NET_5)]))
    original = sale("P-ACME", "SW-24", "2026-09-10", "12000.00", "2")
    sale_return(original, "2026-10-20", "6000.00", "1")

    _acme("2026-09")
    _acme("2026-10")

    assert lines("P-ACME", "2026-09") == [
        ("Networking, percent: 12,000.00 × 5% = 600.00", D("600.00"))
    ]
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: -6,000.00 × 5% = -300.00", D("-300.00"))
    ]
    october = statement("P-ACME", "2026-10")
    assert (october.total, october.net_sales) == (D("-300.00"), D("-6000.00"))
    assert october.lines.get().quantity == D("-1.00")


@pytest.mark.parametrize(
    ("return_date", "expected"),
    [
        ("2026-11-09", [("Networking, percent: -12,000.00 × 5% = -600.00", D("-600.00"))]),
        ("2026-11-10", []),  # 61 days after the sale: earns nothing back
    ],
)
def test_a_return_counts_up_to_clawback_days_after_the_sale(return_date, expected):
    load(program(commission_plans=[plan(NET_5)]))  # clawback_days: 60
    original = sale("P-ACME", "SW-24", "2026-09-10", "12000.00")
    sale_return(original, return_date, "12000.00")

    _acme("2026-11")

    assert lines("P-ACME", "2026-11") == expected
    assert statement("P-ACME", "2026-11").total == sum((a for _, a in expected), D("0"))


def test_a_return_counts_under_the_rule_its_original_sale_matched():
    # given the original earned under STD's first version (5%); from 16 October STD pays 8%
    load(program(commission_plans=[plan(NET_5)]))
    load(
        program(
            commission_plans=[
                plan(
                    {"priority": 10, "line": "NET", "kind": "percent", "rate": "8"},
                    effective_from="2026-10-16",
                )
            ]
        )
    )
    original = sale("P-ACME", "SW-24", "2026-09-20", "12000.00")
    sale_return(original, "2026-10-20", "12000.00")
    sale("P-ACME", "SW-48", "2026-10-20", "10000.00")

    _acme()

    # then the return takes back 5%, not 8%
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: -12,000.00 × 5% = -600.00", D("-600.00")),
        ("Networking, percent: 10,000.00 × 8% = 800.00", D("800.00")),
    ]


def test_a_negative_volume_in_a_tiered_rule_earns_v_times_the_first_rate():
    load(
        program(
            commission_plans=[
                plan(
                    {
                        "priority": 10,
                        "line": "SEC",
                        "kind": "tiered_marginal",
                        "brackets": MARGINAL,
                    },
                    {"priority": 20, "kind": "tiered_flat", "brackets": FLAT},
                )
            ]
        )
    )
    firewall = sale("P-ACME", "FW-1", "2026-09-10", "150000.00", "5")
    access_point = sale("P-ACME", "AP-1", "2026-09-10", "80000.00", "16")
    sale_return(firewall, "2026-10-05", "150000.00", "5")
    sale("P-ACME", "FW-1", "2026-10-06", "50000.00")
    sale_return(access_point, "2026-10-07", "80000.00", "16")
    sale("P-ACME", "AP-1", "2026-10-08", "20000.00", "4")

    _acme("2026-09")
    _acme()

    assert lines("P-ACME", "2026-09") == [
        ("Security, tiered marginal: 100,000.00 × 3% + 50,000.00 × 6% = 6,000.00", D("6000.00")),
        ("all products, bracket 2: 80,000.00 × 4% = 3,200.00", D("3200.00")),
    ]
    assert lines("P-ACME", "2026-10") == [
        ("Security, bracket 1: -100,000.00 × 3% = -3,000.00", D("-3000.00")),
        ("all products, bracket 1: -60,000.00 × 2% = -1,200.00", D("-1200.00")),
    ]
    assert statement("P-ACME", "2026-10").total == D("-4200.00")


# 5. Accelerator -----------------------------------------------------------------------------------

ACCELERATED = {"accelerator": {"threshold": "110", "multiplier": "1.25"}}
TARGET = [{"partner": "P-ACME", "period": "2026-10", "amount": "100000"}]


@pytest.mark.parametrize(
    ("amount", "description", "total"),
    [
        # 109.99999% of the target: no accelerator; 5,499.9995 rounds to 5,500.00
        ("109999.99", "Networking, percent: 109,999.99 × 5% = 5,500.00", "5500.00"),
        # 110%: 5,500 × 1.25
        (
            "110000.00",
            "Networking, percent: 110,000.00 × 5% × 1.25 (accelerator) = 6,875.00",
            "6875.00",
        ),
        # multiplied before rounding: 5,500.015 × 1.25 = 6,875.01875 (5,500.02 × 1.25 would give
        # 6,875.03)
        (
            "110000.30",
            "Networking, percent: 110,000.30 × 5% × 1.25 (accelerator) = 6,875.02",
            "6875.02",
        ),
    ],
)
def test_accelerator_applies_from_the_threshold_on(amount, description, total):
    load(program(commission_plans=[plan(NET_5, **ACCELERATED)], targets=TARGET))
    sale("P-ACME", "SW-24", "2026-10-10", amount)

    _acme()

    st_ = statement("P-ACME", "2026-10")
    assert lines("P-ACME", "2026-10") == [(description, D(total))]
    assert (st_.total, st_.target) == (D(total), D("100000.00"))


def test_accelerator_counts_all_net_sales_and_multiplies_every_rule():
    # 100,000 of networking + 5,000 of unmatched security + 5,000 of wireless = 110% of target
    load(
        program(
            commission_plans=[
                plan(
                    NET_5,
                    {"priority": 20, "line": "WLS", "kind": "per_unit", "amount": "10.00"},
                    **ACCELERATED,
                )
            ],
            targets=TARGET,
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "100000.00")
    sale("P-ACME", "FW-1", "2026-10-11", "5000.00")
    sale("P-ACME", "AP-1", "2026-10-12", "5000.00", "3")

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 100,000.00 × 5% × 1.25 (accelerator) = 6,250.00", D("6250.00")),
        ("Wireless, per unit: 3.00 × 10 × 1.25 (accelerator) = 37.50", D("37.50")),
    ]


def test_accelerator_uses_only_an_agreed_target():
    load(program(commission_plans=[plan(NET_5, **ACCELERATED)]))
    acme = partner("P-ACME")
    sale("P-ACME", "SW-24", "2026-10-10", "120000.00")
    target = Target.objects.create(
        partner=acme, period="2026-10", currency="TWD", amount=D("100000.00")
    )

    _acme()
    negotiating = lines("P-ACME", "2026-10")
    target.status = Target.Status.AGREED
    target.agreed_at = timezone.now()
    target.save()
    _acme()

    assert negotiating == [("Networking, percent: 120,000.00 × 5% = 6,000.00", D("6000.00"))]
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 120,000.00 × 5% × 1.25 (accelerator) = 7,500.00", D("7500.00"))
    ]


def test_without_a_target_there_is_no_accelerator():
    load(program(commission_plans=[plan(NET_5, **ACCELERATED)]))
    sale("P-ACME", "SW-24", "2026-10-10", "1000000.00")

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 1,000,000.00 × 5% = 50,000.00", D("50000.00"))
    ]
    assert statement("P-ACME", "2026-10").target is None


# 6. Rounding, cap, adjustments -----------------------------------------------------------------


def test_each_rule_amount_is_rounded_half_up_on_its_own():
    load(
        program(
            commission_plans=[
                plan(NET_5, {"priority": 20, "line": "SEC", "kind": "percent", "rate": "5"})
            ]
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "0.50")
    sale("P-ACME", "FW-1", "2026-10-10", "0.50")

    _acme()

    # 0.025 each: half-up gives 0.03 (half-even would give 0.02), and 0.06 in all (rounding the
    # sum would give 0.05)
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 0.50 × 5% = 0.03", D("0.03")),
        ("Security, percent: 0.50 × 5% = 0.03", D("0.03")),
    ]
    assert statement("P-ACME", "2026-10").total == D("0.06")


def test_amounts_are_rounded_to_the_currencys_minor_unit():
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-YEN", "SW-24", "2026-10-10", "1010")

    recompute(month_label="2026-10", partner_ids=[partner("P-YEN").pk])

    st_ = statement("P-YEN", "2026-10")
    # 50.5 yen, half-up to 51
    assert lines("P-YEN", "2026-10") == [("Networking, percent: 1,010 × 5% = 51", D("51"))]
    assert (st_.currency, st_.total) == ("JPY", D("51"))


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("20000.00", [("Networking, percent: 20,000.00 × 5% = 1,000.00", D("1000.00"))]),
        (
            "30000.00",
            [
                ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00")),
                ("Cap 1,000.00: 1,500.00 reduced by 500.00", D("-500.00")),
            ],
        ),
    ],
)
def test_a_cap_line_brings_the_sum_down_to_the_cap(amount, expected):
    load(program(commission_plans=[plan(NET_5, cap="1000.00")]))
    sale("P-ACME", "SW-24", "2026-10-10", amount)

    _acme()

    assert lines("P-ACME", "2026-10") == expected
    assert statement("P-ACME", "2026-10").total == D("1000.00")
    if len(expected) == 2:
        assert statement("P-ACME", "2026-10").lines.get(position=2).kind == "cap"


def test_the_cap_applies_to_the_sum_of_all_rules_after_the_accelerator():
    load(
        program(
            commission_plans=[
                plan(
                    NET_5,
                    {"priority": 20, "line": "SEC", "kind": "percent", "rate": "10"},
                    cap="10000.00",
                    **ACCELERATED,
                )
            ],
            targets=TARGET,
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "100000.00")
    sale("P-ACME", "FW-1", "2026-10-10", "40000.00")

    _acme()

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 100,000.00 × 5% × 1.25 (accelerator) = 6,250.00", D("6250.00")),
        ("Security, percent: 40,000.00 × 10% × 1.25 (accelerator) = 5,000.00", D("5000.00")),
        ("Cap 10,000.00: 11,250.00 reduced by 1,250.00", D("-1250.00")),
    ]
    assert statement("P-ACME", "2026-10").total == D("10000.00")


def _adjust(amount: str, reason: str, on: dt.date, actor=None) -> Adjustment:
    adjustment = adjustment_create(
        partner=partner("P-ACME"), amount=D(amount), reason=reason, actor=actor
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(on))
    return adjustment


def test_adjustments_follow_the_rule_and_cap_lines_on_the_next_draft(vendor_admin):
    load(program(commission_plans=[plan(NET_5, cap="1000.00")]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    missed = _adjust("300.00", "Missed deal DR-7", dt.date(2026, 10, 12), vendor_admin)
    _adjust("-45.50", "Duplicate invoice", dt.date(2026, 10, 13), vendor_admin)

    _acme()
    _acme()  # a second recompute keeps each adjustment once

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00")),
        ("Cap 1,000.00: 1,500.00 reduced by 500.00", D("-500.00")),
        ("Adjustment: Missed deal DR-7", D("300.00")),
        ("Adjustment: Duplicate invoice", D("-45.50")),
    ]
    october = statement("P-ACME", "2026-10")
    assert october.total == D("1254.50")
    missed.refresh_from_db()
    assert missed.statement == october
    assert october.lines.get(position=3).adjustment == missed


def test_an_adjustment_waits_for_the_first_statement_ending_after_it():
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "1000.00")
    sale("P-ACME", "SW-24", "2026-11-10", "2000.00")
    adjustment = _adjust("100.00", "Late bonus", dt.date(2026, 11, 3))

    _acme("2026-10")
    _acme("2026-11")

    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 1,000.00 × 5% = 50.00", D("50.00"))
    ]
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 2,000.00 × 5% = 100.00", D("100.00")),
        ("Adjustment: Late bonus", D("100.00")),
    ]
    adjustment.refresh_from_db()
    assert adjustment.statement == statement("P-ACME", "2026-11")


def test_an_adjustment_makes_a_statement_for_a_partner_without_sales():
    load(program(commission_plans=[plan(NET_5)]))
    _adjust("75.00", "Marketing fund", dt.date(2026, 10, 3))

    counts = recompute(month_label="2026-10")

    assert counts["statements"] == 1
    assert lines("P-ACME", "2026-10") == [("Adjustment: Marketing fund", D("75.00"))]


def test_an_adjustment_does_not_open_a_statement_for_an_earlier_period():
    load(program(commission_plans=[plan(NET_5)]))
    _adjust("75.00", "Marketing fund", dt.date(2026, 11, 3))

    recompute(month_label="2026-10")

    assert not Statement.objects.exists()


@pytest.mark.parametrize("settlement", ["month", "quarter"])
def test_a_partner_without_sales_or_adjustments_gets_no_statement(settlement):
    # P-YEN is on the same plan as P-ACME but sold nothing
    load(program(commission_plans=[plan(NET_5, settlement=settlement)]))
    sale("P-ACME", "SW-24", "2026-10-10", "1000.00")

    recompute(month_label="2026-10")
    recompute(month_label="2026-10", partner_ids=[partner("P-YEN").pk, partner("P-BETA").pk])

    assert list(Statement.objects.values_list("partner__code", flat=True)) == ["P-ACME"]


# Quarterly settlement ---------------------------------------------------------------------------


def test_a_quarterly_plan_settles_one_statement_over_three_months():
    load(
        program(
            commission_plans=[
                plan(
                    NET_5,
                    {"priority": 20, "kind": "tiered_marginal", "brackets": MARGINAL},
                    settlement="quarter",
                )
            ]
        )
    )
    for month in ("10", "11", "12"):
        sale("P-ACME", "SW-24", f"2026-{month}-15", "10000.00")
        sale("P-ACME", "FW-1", f"2026-{month}-15", "50000.00")
    sale("P-ACME", "FW-1", "2026-09-30", "1.00")
    sale("P-ACME", "FW-1", "2027-01-01", "1.00")

    _acme("2026-11")

    assert list(Statement.objects.values_list("period", "period_start", "period_end")) == [
        ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    ]
    # the brackets apply to the quarter's volume, 150,000, not to each month's 50,000
    assert lines("P-ACME", "2026-Q4") == [
        ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00")),
        (
            "all products, tiered marginal: 100,000.00 × 3% + 50,000.00 × 6% = 6,000.00",
            D("6000.00"),
        ),
    ]
    assert statement("P-ACME", "2026-Q4").total == D("7500.00")


def test_a_quarter_is_the_same_statement_whichever_month_is_recomputed():
    load(program(commission_plans=[plan(NET_5, settlement="quarter")]))
    sale("P-ACME", "SW-24", "2026-10-15", "10000.00")
    sale("P-ACME", "SW-24", "2026-12-15", "20000.00")

    _acme("2026-10")
    first = snapshot()
    _acme("2026-12")

    assert snapshot() == first
    assert Statement.objects.get().period == "2026-Q4"


def test_a_quarterly_accelerator_compares_with_the_sum_of_the_months_targets():
    targets = [
        {"partner": "P-ACME", "period": f"2026-{m}", "amount": "20000"} for m in ("10", "11", "12")
    ]
    load(
        program(
            commission_plans=[
                plan(
                    NET_5,
                    settlement="quarter",
                    accelerator={"threshold": "100", "multiplier": "2"},
                )
            ],
            targets=targets,
        )
    )
    sale("P-ACME", "SW-24", "2026-10-15", "59999.99")

    _acme("2026-10")
    below = lines("P-ACME", "2026-Q4")
    sale("P-ACME", "SW-24", "2026-12-15", "0.01")
    _acme("2026-12")

    assert below == [("Networking, percent: 59,999.99 × 5% = 3,000.00", D("3000.00"))]
    assert lines("P-ACME", "2026-Q4") == [
        ("Networking, percent: 60,000.00 × 5% × 2 (accelerator) = 6,000.00", D("6000.00"))
    ]
    assert statement("P-ACME", "2026-Q4").target == D("60000.00")


# The spec's example -----------------------------------------------------------------------------

EXAMPLE_SALES = (
    "S-1,P-ACME,SW-24,Customer A,,,TW-TPE,2026-10-05,sale,5,60000.00,TWD,",
    "S-2,P-ACME,SW-24,Customer B,,,TW-TPE,2026-10-19,sale,4,48000.00,TWD,",
)


def _example(tmp_path, *rows: str) -> str:
    call_command("load_program", str(EXAMPLE), stdout=StringIO())
    path = tmp_path / "sales.csv"
    path.write_bytes(csv_bytes(*rows))
    call_command("import_sales", str(path), stdout=StringIO())
    call_command("recompute_payouts", "--period", "2026-10", stdout=StringIO())
    out = StringIO()
    call_command("export_statements", "--period", "2026-10", stdout=out)
    return out.getvalue()


def test_the_spec_example_exports_exactly(tmp_path):
    output = _example(tmp_path, *EXAMPLE_SALES)

    assert json.loads(output) == [
        {
            "partner": "P-ACME",
            "period": "2026-10",
            "status": "draft",
            "currency": "TWD",
            "total": "5400.00",
            "carried_forward": "0.00",
            "lines": [
                {
                    "description": "Networking, percent: 108,000.00 × 5% = 5,400.00",
                    "amount": "5400.00",
                }
            ],
        }
    ]


def test_the_spec_example_above_110_percent_of_target_is_accelerated(tmp_path):
    more = "S-3,P-ACME,SW-24,Customer C,,,TW-TPE,2026-10-30,sale,1,12000.00,TWD,"
    back = "R-1,P-ACME,SW-24,Customer A,,,TW-TPE,2026-10-31,return,1,1000.00,TWD,S-1"

    output = _example(tmp_path, *EXAMPLE_SALES, more, back)

    # 119,000 of 100,000 = 119% ≥ 110%: 5,950 × 1.25 = 7,437.50
    assert json.loads(output) == [
        {
            "partner": "P-ACME",
            "period": "2026-10",
            "status": "draft",
            "currency": "TWD",
            "total": "7437.50",
            "carried_forward": "0.00",
            "lines": [
                {
                    "description": (
                        "Networking, percent: 119,000.00 × 5% × 1.25 (accelerator) = 7,437.50"
                    ),
                    "amount": "7437.50",
                }
            ],
        }
    ]


# Properties --------------------------------------------------------------------------------------

PROPERTY_PLAN = plan(
    {"priority": 10, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
    {
        "priority": 20,
        "line": "NET",
        "kind": "tiered_marginal",
        "brackets": [{"upto": "50000", "rate": "3"}, {"upto": None, "rate": "6"}],
    },
    {
        "priority": 30,
        "line": "SEC",
        "kind": "tiered_flat",
        "brackets": [{"upto": "40000", "rate": "2"}, {"upto": None, "rate": "4"}],
    },
    cap="20000.00",
    clawback_days=30,
    accelerator={"threshold": "100", "multiplier": "1.5"},
)
PROPERTY_TARGETS = [{"partner": "P-ACME", "period": "2026-10", "amount": "150000"}]
FIRST_DAY = dt.date(2026, 8, 1)
LAST_DAY = dt.date(2026, 10, 31)

rows = st.lists(
    st.tuples(
        st.sampled_from(["P-ACME", "P-BETA"]),
        st.sampled_from(["SW-24", "SW-48", "FW-1", "AP-1"]),
        st.integers(0, (LAST_DAY - FIRST_DAY).days),  # day of the sale
        st.integers(1, 5),  # quantity
        st.integers(1, 6_000_000),  # net amount in cents
        st.none() | st.integers(0, 60),  # a full return so many days later, or none
    ),
    min_size=1,
    max_size=12,
)


def _csv_rows(generated) -> list[str]:
    out = []
    for n, (code, sku, day, quantity, cents, back) in enumerate(generated):
        date = FIRST_DAY + dt.timedelta(days=day)
        amount = D(cents) / 100
        out.append(f"S{n},{code},{sku},C,,,,{date},sale,{quantity},{amount},TWD,")
        if back is not None and date + dt.timedelta(days=back) <= LAST_DAY:
            returned = date + dt.timedelta(days=back)
            out.append(f"R{n},{code},{sku},C,,,,{returned},return,{quantity},{amount},TWD,S{n}")
    return out


def _import_and_recompute(csv_rows: list[str]) -> None:
    result = sales_import(content=csv_bytes(*csv_rows), filename="generated.csv")
    assert result.rejected == []
    for month in ("2026-08", "2026-09", "2026-10"):
        recompute(month_label=month)


def _explained_counts() -> tuple[list, list]:
    """Per statement line (and the unmatched ones): the count the recompute stored, and the
    number of sales `matched_sale_ids` lists behind it."""
    computed, explained = [], []
    for st_ in Statement.objects.prefetch_related("lines"):
        period = periods.parse(st_.period)
        for line in st_.lines.all():
            if line.rule_id is not None:
                computed.append((st_.pk, line.rule_id, line.sale_count))
                ids = matched_sale_ids(
                    partner_id=st_.partner_id, period=period, rule_id=line.rule_id
                )
                explained.append((st_.pk, line.rule_id, len(ids)))
        computed.append((st_.pk, None, st_.unmatched_count))
        ids = matched_sale_ids(partner_id=st_.partner_id, period=period, rule_id=None)
        explained.append((st_.pk, None, len(ids)))
    return computed, explained


class _RollbackError(Exception):
    """Carries a result out of a savepoint that must be rolled back."""


def _in_rollback(function):
    """Run `function` in a savepoint that is rolled back: every example starts from the loaded
    program and nothing else."""
    try:
        with transaction.atomic():
            value = function()
            raise _RollbackError(value)
    except _RollbackError as done:
        return done.args[0]


@pytest.fixture
def property_program(db):
    load(program(commission_plans=[PROPERTY_PLAN], targets=PROPERTY_TARGETS))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=rows)
def test_property_total_is_the_sum_of_lines_and_recompute_is_idempotent(
    property_program, generated
):
    def run():
        _import_and_recompute(_csv_rows(generated))
        first = snapshot()
        for month in ("2026-10", "2026-08", "2026-09"):
            recompute(month_label=month)
        return first, snapshot(), _explained_counts()

    first, second, (computed, explained) = _in_rollback(run)

    # the sales listed behind each line are exactly those the line counted
    assert explained == computed

    assert first == second
    assert first  # every example has at least one sale, hence one statement
    for *_, total, _net, _target, _count, _unmatched, statement_lines in first:
        assert total == sum((line[6] for line in statement_lines), D("0"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=rows, data=st.data())
def test_property_row_order_does_not_change_any_statement(property_program, generated, data):
    csv_rows = _csv_rows(generated)
    shuffled = data.draw(st.permutations(csv_rows))

    def run(ordered):
        def inner():
            _import_and_recompute(ordered)
            return snapshot(), sorted(
                Sale.objects.values_list("external_id", "original__external_id")
            )

        return inner

    assert _in_rollback(run(csv_rows)) == _in_rollback(run(shuffled))
