"""Carry-forward (spec: "Money in any currency, paid on time"): under a plan with
`carry_forward: true` a statement whose total is negative pays nothing and its total opens the
partner's next statement, which may carry again. Figures computed by hand in the comments."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from commissions.models import Statement, StatementLine
from commissions.services.compute import recompute
from commissions.services.statements import statement_approve
from prm.core.errors import DomainError

from .builders import lines, load, plan, program, sale, sale_return, statement

pytestmark = pytest.mark.django_db
D = Decimal
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
END_OF_YEAR = dt.date(2026, 12, 31)


def _months(*labels: str) -> None:
    for label in labels:
        recompute(month_label=label, today=END_OF_YEAR)


@pytest.fixture
def three_months(db):
    """September earns 5,000.00; October's return of 19,376.00 gives −968.80; November earns
    500.00 and ends at −468.80; December earns 1,000.00 and absorbs it: 531.20."""
    load(program(commission_plans=[plan(NET_5, carry_forward=True)]))
    september = sale("P-ACME", "SW-24", "2026-09-10", "100000.00")
    sale_return(september, "2026-10-05", "19376.00")
    sale("P-ACME", "SW-24", "2026-11-03", "10000.00")
    sale("P-ACME", "SW-24", "2026-12-02", "20000.00")
    _months("2026-09", "2026-10", "2026-11", "2026-12")


def test_a_negative_month_is_carried_across_three_months_until_a_positive_one_absorbs_it(
    three_months,
):
    october, november, december = (
        statement("P-ACME", m) for m in ("2026-10", "2026-11", "2026-12")
    )
    assert (october.total, october.carried_forward) == (D("-968.80"), D("-968.80"))
    assert lines("P-ACME", "2026-11") == [
        ("Carried forward from 2026-10: −968.80", D("-968.80")),
        ("Networking, percent: 10,000.00 × 5% = 500.00", D("500.00")),
    ]
    # −968.80 + 500.00 = −468.80, carried again
    assert (november.total, november.carried_forward) == (D("-468.80"), D("-468.80"))
    assert lines("P-ACME", "2026-12") == [
        ("Carried forward from 2026-11: −468.80", D("-468.80")),
        ("Networking, percent: 20,000.00 × 5% = 1,000.00", D("1000.00")),
    ]
    # −468.80 + 1,000.00 = 531.20 paid; nothing carried on
    assert (december.total, december.carried_forward) == (D("531.20"), D("0"))
    carried = StatementLine.objects.get(statement=december, kind=StatementLine.Kind.CARRIED)
    assert carried.carried_from == november
    assert statement("P-ACME", "2026-09").carried_forward == D("0")


def test_recomputing_the_earlier_draft_updates_the_carried_lines_after_it(three_months):
    # 4,000.00 more in October: −968.80 + 200.00 = −768.80
    sale("P-ACME", "SW-24", "2026-10-20", "4000.00")

    _months("2026-10")

    assert statement("P-ACME", "2026-10").carried_forward == D("-768.80")
    assert lines("P-ACME", "2026-11")[0] == ("Carried forward from 2026-10: −768.80", D("-768.80"))
    # −768.80 + 500.00 = −268.80 → December: −268.80 + 1,000.00 = 731.20
    assert statement("P-ACME", "2026-11").total == D("-268.80")
    assert statement("P-ACME", "2026-12").total == D("731.20")


def test_a_predecessor_turning_positive_removes_the_carried_lines(three_months):
    # 40,000.00 more in October: −968.80 + 2,000.00 = 1,031.20, nothing carried
    sale("P-ACME", "SW-24", "2026-10-20", "40000.00")

    _months("2026-10")

    assert statement("P-ACME", "2026-10").carried_forward == D("0")
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 10,000.00 × 5% = 500.00", D("500.00"))
    ]
    assert statement("P-ACME", "2026-12").total == D("1000.00")


def test_recompute_is_idempotent_with_carried_lines(three_months):
    before = [
        (s.period, s.total, s.carried_forward, s.fingerprint)
        for s in Statement.objects.order_by("period")
    ]

    result = recompute(month_label="2026-10", today=END_OF_YEAR)

    after = [
        (s.period, s.total, s.carried_forward, s.fingerprint)
        for s in Statement.objects.order_by("period")
    ]
    assert after == before
    assert result["statements"] == 0


def test_a_negative_month_opens_the_next_statement_even_without_sales(db):
    load(program(commission_plans=[plan(NET_5, carry_forward=True)]))
    september = sale("P-ACME", "SW-24", "2026-09-10", "100000.00")
    sale_return(september, "2026-10-05", "19376.00")

    _months("2026-10")

    assert lines("P-ACME", "2026-11") == [("Carried forward from 2026-10: −968.80", D("-968.80"))]
    # November carries it on to December, which the recompute opens too (up to today's period)
    assert lines("P-ACME", "2026-12") == [("Carried forward from 2026-11: −968.80", D("-968.80"))]
    assert not Statement.objects.filter(period="2027-01").exists()


def test_a_negative_month_opens_no_statement_after_the_current_period(db):
    load(program(commission_plans=[plan(NET_5, carry_forward=True)]))
    september = sale("P-ACME", "SW-24", "2026-09-10", "100000.00")
    sale_return(september, "2026-10-05", "19376.00")

    recompute(month_label="2026-10", today=dt.date(2026, 10, 31))

    assert statement("P-ACME", "2026-10").carried_forward == D("-968.80")
    assert not Statement.objects.filter(period="2026-11").exists()
    # November's own recompute takes the carried total
    recompute(month_label="2026-11", today=dt.date(2026, 11, 30))
    assert statement("P-ACME", "2026-11").total == D("-968.80")


def test_without_the_option_a_negative_month_stays_negative_and_carries_nothing(db):
    load(program(commission_plans=[plan(NET_5)]))
    september = sale("P-ACME", "SW-24", "2026-09-10", "100000.00")
    sale_return(september, "2026-10-05", "19376.00")
    sale("P-ACME", "SW-24", "2026-11-03", "10000.00")

    _months("2026-10", "2026-11")

    assert statement("P-ACME", "2026-10").total == D("-968.80")
    assert statement("P-ACME", "2026-10").carried_forward == D("0")
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 10,000.00 × 5% = 500.00", D("500.00"))
    ]


def test_a_quarterly_plan_carries_a_negative_quarter_into_the_next(db):
    load(program(commission_plans=[plan(NET_5, settlement="quarter", carry_forward=True)]))
    june = sale("P-ACME", "SW-24", "2026-06-20", "100000.00")
    # Q3: the return of 19,376.00 within 60 days: −968.80
    sale_return(june, "2026-07-10", "19376.00")
    # Q4: 30,000.00 × 5% = 1,500.00; 1,500.00 − 968.80 = 531.20
    sale("P-ACME", "SW-24", "2026-11-15", "30000.00")

    _months("2026-07")

    q3, q4 = statement("P-ACME", "2026-Q3"), statement("P-ACME", "2026-Q4")
    assert (q3.total, q3.carried_forward) == (D("-968.80"), D("-968.80"))
    assert lines("P-ACME", "2026-Q4") == [
        ("Carried forward from 2026-Q3: −968.80", D("-968.80")),
        ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00")),
    ]
    assert (q4.total, q4.carried_forward) == (D("531.20"), D("0"))


def test_approving_a_statement_whose_predecessor_is_a_draft_is_refused(three_months, vendor_admin):
    november = statement("P-ACME", "2026-11")

    with pytest.raises(DomainError) as refused:
        statement_approve(statement=november, actor=vendor_admin)

    assert "2026-10 is still a draft" in refused.value.message
    november.refresh_from_db()
    assert november.status == Statement.Status.DRAFT
    statement_approve(statement=statement("P-ACME", "2026-09"), actor=vendor_admin)
    statement_approve(statement=statement("P-ACME", "2026-10"), actor=vendor_admin)
    assert statement_approve(statement=november, actor=vendor_admin).status == "approved"


def test_without_the_option_a_draft_predecessor_does_not_hold_up_approval(db, vendor_admin):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-10", "1000.00")
    sale("P-ACME", "SW-24", "2026-11-10", "1000.00")
    _months("2026-10", "2026-11")

    approved = statement_approve(statement=statement("P-ACME", "2026-11"), actor=vendor_admin)

    assert approved.status == Statement.Status.APPROVED


def test_export_statements_gives_the_amount_carried_out(three_months):
    out = StringIO()
    call_command("export_statements", "--period", "2026-10", stdout=out)
    [october] = json.loads(out.getvalue())
    assert (october["total"], october["carried_forward"]) == ("-968.80", "-968.80")

    out = StringIO()
    call_command("export_statements", "--period", "2026-11", "--format", "csv", stdout=out)
    rows = out.getvalue().splitlines()
    assert rows[0].endswith(",amount,carried_forward")
    assert rows[1] == (
        "P-ACME,2026-11,draft,TWD,-468.80,1,Carried forward from 2026-10: −968.80,-968.80,-468.80"
    )
