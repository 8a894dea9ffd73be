"""Late data for a closed period (spec: "Money in any currency, paid on time"): a sale, return
or adjustment dated in a period whose statement is approved or paid leaves that statement as it
is; the difference per rule between the period recomputed now and what was approved becomes
lines on the partner's earliest later draft, with the sales behind them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from commissions.models import Adjustment, Statement
from commissions.selectors import statement_line_sales
from commissions.services.compute import recompute
from commissions.services.statements import adjustment_create, statement_approve

from .builders import (
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
NET_4 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "4"}
ACCELERATED = {"accelerator": {"threshold": "110", "multiplier": "1.25"}}
TARGET = [{"partner": "P-ACME", "period": "2026-10", "amount": "100000"}]


def _acme(month: str, **kwargs) -> dict:
    return recompute(month_label=month, partner_ids=[partner("P-ACME").pk], **kwargs)


def test_a_late_sale_for_an_approved_month_is_paid_on_the_next_draft(vendor_admin):
    load(program(commission_plans=[plan(NET_4, **ACCELERATED)], targets=TARGET))
    sale("P-ACME", "SW-24", "2026-10-10", "120000.00")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)
    sale("P-ACME", "SW-24", "2026-11-10", "10000.00")
    _acme("2026-11")

    sale("P-ACME", "SW-48", "2026-10-28", "100000.00")
    counts = _acme("2026-10")

    assert counts["restated"] == 1
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 120,000.00 × 4% × 1.25 (accelerator) = 6,000.00", D("6000.00"))
    ]
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 10,000.00 × 4% = 400.00", D("400.00")),
        ("2026-10 restated, Networking: +5,000.00", D("5000.00")),
    ]
    assert statement("P-ACME", "2026-11").total == D("5400.00")
    _acme("2026-10")
    _acme("2026-11")
    assert lines("P-ACME", "2026-11")[1] == (
        "2026-10 restated, Networking: +5,000.00",
        D("5000.00"),
    )


MARGINAL = {
    "priority": 10,
    "line": "NET",
    "kind": "tiered_marginal",
    "brackets": [{"upto": "100000", "rate": "3"}, {"upto": None, "rate": "6"}],
}
FLAT = {
    "priority": 10,
    "line": "NET",
    "kind": "tiered_flat",
    "brackets": [{"upto": "50000", "rate": "2"}, {"upto": None, "rate": "4"}],
}
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


@pytest.mark.parametrize(
    ("rule", "options", "approved", "late", "expected"),
    [
        # 90,000 → 2,700; with 20,000 more: 100,000 × 3% + 10,000 × 6% = 3,600: +900, not
        # 20,000 × 3% = 600
        (MARGINAL, {}, "90000.00", "20000.00", [("2026-10 restated, Networking: +900.00", "900")]),
        # 40,000 × 2% = 800; 60,000 × 4% = 2,400: +1,600, not 20,000 × 4% = 800
        (FLAT, {}, "40000.00", "20000.00", [("2026-10 restated, Networking: +1,600.00", "1600")]),
        # capped at 1,000: 500 approved; 40,000 × 5% = 2,000 less 1,000 by the cap
        (
            NET_5,
            {"cap": "1000.00"},
            "10000.00",
            "30000.00",
            [
                ("2026-10 restated, Networking: +1,500.00", "1500"),
                ("2026-10 restated, cap: −1,000.00", "-1000"),
            ],
        ),
        # already at the cap: the rule earns 500 more, the cap takes it back
        (
            NET_5,
            {"cap": "1000.00"},
            "30000.00",
            "10000.00",
            [
                ("2026-10 restated, Networking: +500.00", "500"),
                ("2026-10 restated, cap: −500.00", "-500"),
            ],
        ),
    ],
)
def test_the_difference_is_the_rules_arithmetic_over_the_whole_period(
    vendor_admin, rule, options, approved, late, expected
):
    load(program(commission_plans=[plan(rule, **options)]))
    sale("P-ACME", "SW-24", "2026-10-10", approved)
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)
    october = snapshot_of("2026-10")

    sale("P-ACME", "SW-48", "2026-10-28", late)
    _acme("2026-10", today=dt.date(2026, 11, 5))

    assert snapshot_of("2026-10") == october
    assert lines("P-ACME", "2026-11") == [(text, D(amount)) for text, amount in expected]


def snapshot_of(period: str) -> list:
    return [row for row in snapshot() if row[1] == period]


def test_a_late_sale_that_lifts_the_target_over_the_threshold_restates_every_rule(vendor_admin):
    wireless = {"priority": 20, "line": "WLS", "kind": "per_unit", "amount": "10.00"}
    load(program(commission_plans=[plan(NET_4, wireless, **ACCELERATED)], targets=TARGET))
    sale("P-ACME", "SW-24", "2026-10-10", "100000.00")
    sale("P-ACME", "AP-1", "2026-10-11", "5000.00", "4")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    sale("P-ACME", "SW-24", "2026-10-30", "5000.00")  # 110,000 of 100,000: accelerated
    _acme("2026-10", today=dt.date(2026, 11, 5))

    # Networking 105,000 × 4% × 1.25 = 5,250 (was 4,000); Wireless 4 × 10 × 1.25 = 50 (was 40)
    assert lines("P-ACME", "2026-11") == [
        ("2026-10 restated, Networking: +1,250.00", D("1250.00")),
        ("2026-10 restated, Wireless: +10.00", D("10.00")),
    ]


def test_a_partner_without_a_later_draft_gets_one_for_the_current_period(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    sale("P-ACME", "SW-24", "2026-10-29", "1000.00")
    _acme("2026-10", today=dt.date(2026, 12, 3))

    assert list(Statement.objects.values_list("period", "status").order_by("period")) == [
        ("2026-10", "approved"),
        ("2026-12", "draft"),
    ]
    assert lines("P-ACME", "2026-12") == [("2026-10 restated, Networking: +50.00", D("50.00"))]


def test_no_difference_no_line_and_no_draft(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    sale("P-ACME", "FW-1", "2026-10-29", "1000.00")  # no rule for security: earns nothing
    counts = _acme("2026-10", today=dt.date(2026, 11, 3))

    assert counts["restated"] == 0
    assert list(Statement.objects.values_list("period", flat=True)) == ["2026-10"]


def test_a_late_return_takes_back_on_the_next_draft(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    original = sale("P-ACME", "SW-24", "2026-10-10", "30000.00", "3")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    sale_return(original, "2026-10-25", "10000.00", "1")
    _acme("2026-10", today=dt.date(2026, 11, 3))

    assert lines("P-ACME", "2026-11") == [("2026-10 restated, Networking: −500.00", D("-500.00"))]
    line = statement("P-ACME", "2026-11").lines.get()
    assert (line.volume, line.quantity, line.sale_count) == (D("-10000.00"), D("-1.00"), 1)


def test_two_late_arrivals_across_two_later_statements_count_once_each(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    _acme("2026-10")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)
    first = sale("P-ACME", "SW-24", "2026-10-28", "2000.00")
    _acme("2026-10", today=dt.date(2026, 11, 3))
    _acme("2026-11", today=dt.date(2026, 11, 3))  # idempotent
    november = statement("P-ACME", "2026-11")
    statement_approve(statement=november, actor=vendor_admin)

    second = sale("P-ACME", "SW-24", "2026-10-30", "4000.00")
    _acme("2026-10", today=dt.date(2026, 12, 3))
    _acme("2026-10", today=dt.date(2026, 12, 3))
    _acme("2026-12", today=dt.date(2026, 12, 3))

    assert lines("P-ACME", "2026-11") == [("2026-10 restated, Networking: +100.00", D("100.00"))]
    assert lines("P-ACME", "2026-12") == [("2026-10 restated, Networking: +200.00", D("200.00"))]
    november, december = statement("P-ACME", "2026-11"), statement("P-ACME", "2026-12")
    # the sales behind each line: those that arrived for it
    assert [s.pk for s in statement_line_sales(statement=november, line=november.lines.get())] == [
        first.pk
    ]
    assert [s.pk for s in statement_line_sales(statement=december, line=december.lines.get())] == [
        second.pk
    ]
    # 1,500 approved + 100 + 200 = 36,000 × 5%
    paid = Statement.objects.aggregate(total=Sum("total"))["total"]
    assert paid == D("1800.00")


def test_an_adjustment_correcting_an_approved_statement_is_not_restated(vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    _acme("2026-10")
    october = statement("P-ACME", "2026-10")
    statement_approve(statement=october, actor=vendor_admin)
    adjustment = adjustment_create(
        partner=partner("P-ACME"),
        amount=D("-120.00"),
        reason="Late credit note",
        actor=vendor_admin,
        corrects=october,
    )
    Adjustment.objects.filter(pk=adjustment.pk).update(created_at=local_noon(dt.date(2026, 10, 31)))
    sale("P-ACME", "SW-24", "2026-10-28", "2000.00")

    _acme("2026-10", today=dt.date(2026, 11, 3))
    _acme("2026-11", today=dt.date(2026, 11, 3))

    assert lines("P-ACME", "2026-11") == [
        ("2026-10 restated, Networking: +100.00", D("100.00")),
        ("Adjustment: Late credit note", D("-120.00")),
    ]
    assert statement("P-ACME", "2026-11").total == D("-20.00")


def test_a_quarterly_plan_restates_an_approved_quarter_on_the_next_one(vendor_admin):
    agreement = {
        "number": "AG-ACME",
        "partner": "P-ACME",
        "plan": "STD",
        "start": "2026-01-01",
        "end": "2027-12-31",
    }
    load(program(commission_plans=[plan(MARGINAL, settlement="quarter")], agreements=[agreement]))
    sale("P-ACME", "SW-24", "2026-10-10", "60000.00")
    sale("P-ACME", "SW-24", "2026-12-10", "30000.00")
    _acme("2026-12")
    statement_approve(statement=statement("P-ACME", "2026-Q4"), actor=vendor_admin)

    sale("P-ACME", "SW-24", "2026-11-28", "20000.00")
    _acme("2026-11", today=dt.date(2027, 1, 4))

    # 110,000 in the quarter: 3,000 + 600, against 2,700 approved
    assert lines("P-ACME", "2026-Q4") == [
        ("Networking, bracket 1: 90,000.00 × 3% = 2,700.00", D("2700.00"))
    ]
    assert lines("P-ACME", "2027-Q1") == [("2026-Q4 restated, Networking: +900.00", D("900.00"))]


def test_the_request_an_import_leaves_and_the_command_route_the_difference(vendor_admin):
    from io import StringIO

    from django.core.management import call_command

    from commissions.services.recompute import recompute_request_create, recompute_request_run

    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    sale("P-ACME", "SW-24", "2026-11-10", "1000.00")
    _acme("2026-10")
    _acme("2026-11")
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)

    sale("P-ACME", "SW-24", "2026-10-28", "2000.00")
    request = recompute_request_create(period="2026-10", reason="sales imported")
    recompute_request_run(request_id=request.pk)
    sale("P-ACME", "SW-24", "2026-10-29", "4000.00")
    out = StringIO()
    call_command("recompute_payouts", "--period", "2026-10", stdout=out)

    assert out.getvalue() == (
        "2026-10: 0 draft statement(s) recomputed (0 changed), "
        "1 approved or paid left as they are, 1 of them restated on a later draft\n"
    )
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 1,000.00 × 5% = 50.00", D("50.00")),
        ("2026-10 restated, Networking: +300.00", D("300.00")),
    ]
    line = statement("P-ACME", "2026-11").lines.get(kind="restatement")
    assert line.sale_count == 2
    assert line.explanation[0]["now"] == "1800.00"
    assert line.explanation[0]["approved"] == "1500.00"
