"""Accrual on payment (spec: "Money in any currency, paid on time"): under a plan with
`accrual: payment` a sale counts in the period containing the day its payments first reach its
net amount, a return in the period of the later of its own date and the day its original sale
counted. The payments CSV is checked row by row. Figures computed by hand in the comments."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from commissions.models import Payment, PaymentBatch, RecomputeRequest, SalePaid, Statement
from commissions.services.compute import recompute
from commissions.services.payments import payments_import

from .builders import lines, load, plan, program, sale, sale_return, statement

pytestmark = pytest.mark.django_db
D = Decimal
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
TODAY = dt.date(2026, 12, 31)


def _pay(*rows: str):
    content = ("external_id,paid_date,amount\n" + "\n".join(rows) + "\n").encode()
    return payments_import(file=io.BytesIO(content), filename="payments.csv")


def _months(*labels: str) -> None:
    for label in labels:
        recompute(month_label=label, today=TODAY)


@pytest.fixture
def on_payment(db):
    load(program(commission_plans=[plan(NET_5, accrual="payment")]))


def test_a_sale_paid_in_two_instalments_across_a_month_end_counts_when_paid_in_full(on_payment):
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    # 4,000.00 on 30 October, 6,000.00 on 2 November: paid in full in November
    _pay("S-1,2026-10-30,4000.00", "S-1,2026-11-02,6000.00")

    _months("2026-10", "2026-11")

    assert SalePaid.objects.get().paid_on == dt.date(2026, 11, 2)
    assert not Statement.objects.filter(period="2026-10").exists()
    # 10,000.00 × 5% = 500.00 in November
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 10,000.00 × 5% = 500.00", D("500.00"))
    ]


def test_an_unpaid_sale_earns_nothing_yet(on_payment):
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    _pay("S-1,2026-10-30,9999.99")

    _months("2026-10", "2026-11")

    assert not SalePaid.objects.exists()
    assert not Statement.objects.filter(total__gt=0).exists()


def test_a_return_of_an_unpaid_sale_counts_when_its_original_is_paid(on_payment):
    original = sale("P-ACME", "SW-24", "2026-10-05", "10000.00", external_id="S-1")
    sale_return(original, "2026-10-20", "2000.00")
    _months("2026-10")
    assert not Statement.objects.filter(period="2026-10").exists()

    _pay("S-1,2026-11-10,10000.00")
    _months("2026-10", "2026-11")

    # November: 10,000.00 − 2,000.00 = 8,000.00 × 5% = 400.00; October still nothing
    assert not Statement.objects.filter(period="2026-10").exists()
    assert lines("P-ACME", "2026-11") == [
        ("Networking, percent: 8,000.00 × 5% = 400.00", D("400.00"))
    ]


def test_a_return_after_its_paid_original_counts_on_its_own_date(on_payment):
    original = sale("P-ACME", "SW-24", "2026-10-05", "10000.00", external_id="S-1")
    _pay("S-1,2026-10-10,10000.00")
    sale_return(original, "2026-11-05", "2000.00")

    _months("2026-10", "2026-11")

    assert statement("P-ACME", "2026-10").total == D("500.00")
    # −2,000.00 × 5% = −100.00
    assert statement("P-ACME", "2026-11").total == D("-100.00")


def test_an_invoice_plan_ignores_payments(db):
    load(program(commission_plans=[plan(NET_5)]))
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    _pay("S-1,2026-11-02,10000.00")

    _months("2026-10", "2026-11")

    assert statement("P-ACME", "2026-10").total == D("500.00")
    assert not Statement.objects.filter(period="2026-11").exists()


def test_payments_ask_for_the_recompute_of_the_periods_they_move(on_payment):
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    _pay("S-1,2026-10-30,10000.00")
    assert list(
        RecomputeRequest.objects.filter(reason="payments").values_list("period", "partner__code")
    ) == [("2026-10", "P-ACME")]
    RecomputeRequest.objects.all().delete()

    # An earlier payment does not move the day it was paid in full
    _pay("S-1,2026-10-01,1.00")
    assert not RecomputeRequest.objects.exists()
    # 1.00 + 9,999.00 by 15 October: paid in full earlier, still in October
    _pay("S-1,2026-10-15,9999.00")
    assert SalePaid.objects.get().paid_on == dt.date(2026, 10, 15)
    assert list(RecomputeRequest.objects.values_list("period", flat=True)) == ["2026-10"]


def test_hostile_rows_are_rejected_one_by_one_and_the_good_rows_kept(on_payment):
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    original = sale("P-ACME", "SW-24", "2026-10-21", "500.00", external_id="S-2")
    sale_return(original, "2026-10-22", "100.00")
    returned = original.returns.get().external_id
    content = (
        b"external_id,paid_date,amount\n"
        b"S-1,2026-10-30,4000.00\n"
        b"S-1,2026-10-30,4000.00\n"  # the same line twice: a duplicate
        b"S-9,2026-10-30,1.00\n"  # unknown
        b"S-2,2026-10-30,-5.00\n"  # negative
        b"S-2,2026-10-30\n"  # ragged
        b"S-2,2026-10-30,1.00,extra\n"
        b"S\x00-2,2026-10-30,1.00\n"  # NUL byte
        b"S-2,2026-10-30,\xff\xfe\n"  # invalid UTF-8
        b"S-2,30/10/2026,1.00\n"
        b"S-2,2026-10-30,1.001\n"
        b"S-2,2026-10-30,1,000.00\n"
        b"S-2,2099-01-01,1.00\n"
        + f"{returned},2026-10-30,1.00\n".encode()
        + b"S-2,2026-10-30,"
        + b"9" * 200_000
        + b"\n"
        b"S-2,2026-10-31,500.00\n"
    )
    result = payments_import(file=io.BytesIO(content), filename="hostile.csv")

    assert (result.created, result.duplicates) == (2, 1)
    reasons = {(r.row, r.column): r.reason for r in result.rejected}
    assert reasons == {
        (4, "external_id"): "no sale S-9 (import the sale first)",
        (5, "amount"): "-5.00 is negative; a payment is a positive amount",
        (6, "row"): "row has 2 fields, the header has 3",
        (7, "row"): "row has 4 fields, the header has 3",
        (8, "external_id"): "contains a NUL byte",
        (9, "amount"): "not UTF-8 text (save the file as CSV UTF-8)",
        (10, "paid_date"): "'30/10/2026' is not a date (YYYY-MM-DD)",
        (11, "amount"): "1.001 has more than 2 decimals (TWD has 2)",
        (12, "row"): "row has 4 fields, the header has 3",
        (13, "paid_date"): "2099-01-01 is in the future",
        (14, "external_id"): f"{returned} is a return; payments are for sales",
        (15, "amount"): "too large (at most 999,999,999,999.99)",
    }
    batch = PaymentBatch.objects.get()
    assert (batch.status, batch.created_count, batch.duplicate_count, batch.rejected_count) == (
        "done",
        2,
        1,
        12,
    )
    assert SalePaid.objects.get().paid_on == dt.date(2026, 10, 31)
    # Importing the file again adds nothing
    again = payments_import(file=io.BytesIO(content), filename="hostile.csv")
    assert (again.created, again.duplicates) == (0, 3)
    assert Payment.objects.count() == 2


def test_a_file_without_the_columns_fails_as_a_whole(on_payment):
    result = payments_import(file=io.BytesIO(b"id,date\n1,2\n"), filename="bad.csv")

    assert result.batch.status == "failed"
    assert result.batch.error == "Missing columns: external_id, paid_date, amount."


def test_import_payments_prints_counts_and_fails_on_a_rejected_row(on_payment, tmp_path, capsys):
    sale("P-ACME", "SW-24", "2026-10-20", "10000.00", external_id="S-1")
    good = tmp_path / "good.csv"
    good.write_text("external_id,paid_date,amount\nS-1,2026-10-30,10000.00\n")
    call_command("import_payments", str(good))
    assert capsys.readouterr().out.splitlines() == ["created: 1", "duplicate: 0", "rejected: 0"]

    bad = tmp_path / "bad.csv"
    bad.write_text("external_id,paid_date,amount\nS-1,2026-10-30,10000.00\nS-7,2026-10-30,1\n")
    with pytest.raises(CommandError, match=r"1 row\(s\) rejected"):
        call_command("import_payments", str(bad))
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "created: 0",
        "duplicate: 1",
        "rejected: 1",
        "row 3, external_id: no sale S-7 (import the sale first)",
    ]
