"""The paid sales rollup that recomputes read under accrual on payment always equals the sums of
the lines that count on payment, by the day they count: the database triggers keep it through
imports (converted lines included), payments in instalments, returns of unpaid and paid sales,
rate changes and deletes; the migration fills it from the data already there; the reconciliation
finds it out of step; and the sums of a recompute with both accruals, conversion and plans
changing mid-period equal a reference that walks every line and its payments."""

import datetime as dt
import importlib
import io
import random
from decimal import Decimal

import pytest
from django.db import connection

from agreements.models import Agreement, AgreementVersion
from commissions import periods
from commissions.models import ImportBatch, PaidSalesRollup, Payment, Sale, SalePaid
from commissions.reconcile import check_paid_rollup
from commissions.services.compute import aggregate, plan_segments, recompute
from commissions.services.imports import sales_import
from commissions.services.payments import payments_import, sale_paid_refresh
from commissions.services.rates import exchange_rate_save
from partners.models import Partner

from .builders import csv_bytes, load, plan, program, sale, sale_return
from .test_compute import PROPERTY_PLAN, _csv_rows
from .test_properties_carry_accrual import (
    MONTHS,
    OPTIONS_PLAN,
    _pay,
    _payment_rows,
    _plain,
    _reference,
)

pytestmark = pytest.mark.django_db
D = Decimal
NO_ORIGINAL = dt.date(1900, 1, 1)
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
# A recompute of a month under accrual on payment, whatever the number of lines (reading the
# lines and their payments took 31: three settings, three statements; the batch's adjustments
# were three queries before they were one).
RECOMPUTE_QUERIES = 28
RATES = [
    {"from": "USD", "to": "TWD", "date": "2026-07-01", "rate": "31.50"},
    {"from": "USD", "to": "TWD", "date": "2026-09-15", "rate": "32.25"},
]


def _paid_day(origin: Sale) -> dt.date | None:
    if origin.net_amount == 0:
        return origin.invoice_date
    paid = SalePaid.objects.filter(sale_id=origin.pk).first()
    return paid.paid_on if paid else None


def _from_lines() -> dict:
    """The sums the rollup must hold, one line at a time."""
    out: dict[tuple, tuple[int, int, int]] = {}
    for line in Sale.objects.select_related("original"):
        origin = line.original or line
        paid = _paid_day(origin)
        if paid is None:
            continue
        counted = paid if line.original_id is None else max(paid, line.invoice_date)
        key = (
            counted,
            line.partner_id,
            line.product_id,
            line.kind,
            line.invoice_date,
            line.original.invoice_date if line.original_id else NO_ORIGINAL,
        )
        volume, quantity, count = out.get(key, (0, 0, 0))
        out[key] = (
            volume + int(line.net_amount * 100),
            quantity + int(line.quantity * 100),
            count + 1,
        )
    return out


def _from_rollup() -> dict:
    return {
        (r.counted_on, r.partner_id, r.product_id, r.kind, r.invoice_date, r.original_date): (
            r.volume_cents,
            r.quantity_hundredths,
            r.line_count,
        )
        for r in PaidSalesRollup.objects.exclude(
            line_count=0, volume_cents=0, quantity_hundredths=0
        )
    }


def _import(*rows: str):
    result = sales_import(content=csv_bytes(*rows), filename="sales.csv")
    assert result.rejected == []
    return result


def _payments(*rows: str):
    content = ("external_id,paid_date,amount\n" + "\n".join(rows) + "\n").encode()
    result = payments_import(file=io.BytesIO(content), filename="payments.csv")
    assert result.rejected == []


def _sale(external_id: str) -> Sale:
    return Sale.objects.get(external_id=external_id)


def _assert_in_step():
    assert _from_rollup() == _from_lines()
    assert check_paid_rollup().findings == []


@pytest.fixture
def on_payment(db):
    load(program(commission_plans=[plan(NET_5, accrual="payment")], exchange_rates=RATES[:1]))


def test_the_rollup_follows_imports_instalments_returns_rate_changes_and_deletes(on_payment):
    # given: a TWD sale, a USD sale converted at 31.50 and a return of the unpaid TWD sale
    _import(
        "S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,2,10000.00,TWD,",
        "S-2,P-ACME,SW-48,C,,,,2026-10-06,sale,1,100.01,USD,",
        "R-1,P-ACME,SW-24,C,,,,2026-10-25,return,1,2500.00,TWD,S-1",
    )
    zero = sale("P-ACME", "SW-24", "2026-10-07", "0.00", "3", external_id="Z-1")
    # 100.01 × 31.50 = 3,150.315 → 3,150.32
    assert _sale("S-2").net_amount == D("3150.32")
    # only the sale of 0 counts, on its invoice date: nothing is paid yet
    assert _from_rollup() == {
        (
            zero.invoice_date,
            zero.partner_id,
            zero.product_id,
            "sale",
            zero.invoice_date,
            NO_ORIGINAL,
        ): (
            0,
            300,
            1,
        )
    }
    _assert_in_step()

    # when: S-1 is paid in two instalments across the month end, S-2 in one
    _payments("S-1,2026-10-30,4000.00", "S-2,2026-10-15,3150.32")
    _assert_in_step()
    assert not PaidSalesRollup.objects.filter(invoice_date=dt.date(2026, 10, 5), line_count__gt=0)
    _payments("S-1,2026-11-02,6000.00")
    # then: S-1 and its earlier return count on 2 November, the day S-1 was paid in full
    rows = PaidSalesRollup.objects.filter(counted_on=dt.date(2026, 11, 2), line_count__gt=0)
    assert sorted((r.kind, r.volume_cents) for r in rows) == [
        ("return", 250000),
        ("sale", 1000000),
    ]
    _assert_in_step()

    # a return of the paid USD sale converts at its original's rate and counts on its own date
    _import("R-2,P-ACME,SW-48,C,,,,2026-10-20,return,1,50.00,USD,S-2")
    assert _sale("R-2").net_amount == D("1575.00")
    assert PaidSalesRollup.objects.get(
        kind="return", counted_on=dt.date(2026, 10, 20)
    ).volume_cents == (157500)
    _assert_in_step()

    # a new rate serves the lines imported from then on; the rollup sums the converted amounts
    exchange_rate_save(
        from_currency="USD", to_currency="TWD", date=dt.date(2026, 10, 1), rate=D("32.00")
    )
    _import("S-3,P-ACME,SW-24,C,,,,2026-10-08,sale,1,10.01,USD,")
    # 10.01 × 32.00 = 320.32
    _payments("S-3,2026-10-09,320.32")
    assert PaidSalesRollup.objects.get(counted_on=dt.date(2026, 10, 9)).volume_cents == 32032
    assert _sale("S-2").net_amount == D("3150.32")
    _assert_in_step()

    # deletes: a payment taken back, a return, the import batches, the sale of 0
    Payment.objects.filter(sale__external_id="S-1", paid_date=dt.date(2026, 11, 2)).delete()
    sale_paid_refresh(sale_ids=[_sale("S-1").pk])
    assert not PaidSalesRollup.objects.filter(counted_on=dt.date(2026, 11, 2), line_count__gt=0)
    _assert_in_step()
    _sale("R-2").delete()
    _assert_in_step()
    ImportBatch.objects.all().delete()  # sets the sales' batch to NULL: an UPDATE of the lines
    _assert_in_step()
    zero.delete()
    _assert_in_step()
    assert sorted(_from_rollup().values()) == [(32032, 100, 1), (315032, 100, 1)]


def test_a_return_of_a_sale_paid_before_it_and_of_a_sale_of_0(on_payment):
    original = sale("P-ACME", "SW-24", "2026-10-05", "1000.00", "2", external_id="S-1")
    free = sale("P-ACME", "SW-48", "2026-10-06", "0.00", external_id="S-0")
    _payments("S-1,2026-10-10,1000.00")
    # a return dated before its original was paid counts on the paid day; one after, on its own
    _import(
        "RT-1,P-ACME,SW-24,C,,,,2026-10-08,return,1,100.00,TWD,S-1",
        "RT-2,P-ACME,SW-24,C,,,,2026-10-12,return,1,100.00,TWD,S-1",
    )
    sale_return(free, "2026-10-09", "0.00")
    counted = {
        (r.kind, r.invoice_date): r.counted_on
        for r in PaidSalesRollup.objects.filter(line_count__gt=0)
    }
    assert counted == {
        ("sale", original.invoice_date): dt.date(2026, 10, 10),
        ("sale", free.invoice_date): free.invoice_date,
        ("return", dt.date(2026, 10, 8)): dt.date(2026, 10, 10),
        ("return", dt.date(2026, 10, 12)): dt.date(2026, 10, 12),
        ("return", dt.date(2026, 10, 9)): dt.date(2026, 10, 9),
    }
    _assert_in_step()
    # the paid day is dropped and set again (as the payments import refreshes it)
    SalePaid.objects.all().delete()
    _assert_in_step()
    sale_paid_refresh(sale_ids=[original.pk])
    _assert_in_step()
    SalePaid.objects.filter(sale_id=original.pk).update(paid_on=dt.date(2026, 10, 11))
    assert (
        PaidSalesRollup.objects.get(kind="sale", counted_on=dt.date(2026, 10, 11)).line_count == 1
    )
    _assert_in_step()


def test_the_migration_fills_the_rollup_from_the_data_already_there(on_payment):
    migration = importlib.import_module("commissions.migrations.0018_paid_sales_rollup")
    _import(
        "S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,2,10000.00,TWD,",
        "S-2,P-ACME,SW-48,C,,,,2026-10-06,sale,1,100.01,USD,",
        "R-1,P-ACME,SW-24,C,,,,2026-10-25,return,1,2500.00,TWD,S-1",
        "R-2,P-ACME,SW-48,C,,,,2026-10-07,return,1,10.00,USD,S-2",
    )
    _payments("S-1,2026-10-30,10000.00", "S-2,2026-10-15,3150.32")
    expected = _from_lines()
    assert len(expected) == 4
    PaidSalesRollup.objects.all().delete()
    assert _from_rollup() == {}

    fill = migration.POSTGRES_FILL if connection.vendor == "postgresql" else migration.SQLITE_FILL
    with connection.cursor() as cursor:
        cursor.execute(fill)

    assert _from_rollup() == expected


def test_the_reconciliation_finds_the_rollup_out_of_step(on_payment):
    _import("S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,2,10000.00,TWD,")
    _payments("S-1,2026-10-30,10000.00")
    assert check_paid_rollup().findings == []
    assert check_paid_rollup().figure == "1 paid sales lines in 1 sums"

    PaidSalesRollup.objects.update(counted_on=dt.date(2026, 10, 29))
    findings = check_paid_rollup().findings

    assert len(findings) == 2, findings
    assert any("counted on 2026-10-29: rollup (1000000, 200, 1), sales None" in f for f in findings)
    assert any("counted on 2026-10-30: rollup None, sales (1000000, 200, 1)" in f for f in findings)


# Differential: both accruals, conversion, plans changing mid-period -----------------------------


def _world(rng: random.Random) -> None:
    """P-ACME accrues on payment, then on invoice from a random day; P-BETA the other way round,
    under an agreement that starts and ends within the months (no plan outside it)."""
    load(
        program(
            commission_plans=[OPTIONS_PLAN, plan(*PROPERTY_PLAN["rules"], code="INV")],
            exchange_rates=RATES,
            agreements=[
                {
                    "number": "AG-A",
                    "partner": "P-ACME",
                    "plan": "STD",
                    "start": "2026-01-01",
                    "end": "2026-12-31",
                },
                {
                    "number": "AG-B",
                    "partner": "P-BETA",
                    "plan": "INV",
                    "start": "2026-08-20",
                    "end": "2026-11-10",
                },
            ],
        )
    )
    for number, plan_code in (("AG-A", "INV"), ("AG-B", "STD")):
        switch = dt.date(2026, 8, 1) + dt.timedelta(days=rng.randrange(100))
        AgreementVersion.objects.create(
            agreement=Agreement.objects.get(number=number),
            number=2,
            status=AgreementVersion.Status.ACCEPTED,
            effective_date=switch,
            in_force_from=switch,
            commission_plan=plan_code,
        )


@pytest.mark.parametrize("seed", range(8))
def test_the_sums_with_both_accruals_and_converted_sales_equal_the_reference(seed):
    rng = random.Random(seed)
    _world(rng)
    generated = [
        (
            rng.choice(["P-ACME", "P-BETA"]),
            rng.choice(["SW-24", "SW-48", "FW-1", "AP-1"]),
            rng.randrange(92),
            rng.randrange(1, 6),
            rng.randrange(1, 200_000),
            rng.choice([None, rng.randrange(0, 60)]),
        )
        for _ in range(rng.randrange(40, 80))
    ]
    rows = _csv_rows(generated)
    # A third of the sales (and their returns) invoiced in USD, converted on import.
    usd = {n for n in range(len(generated)) if rng.random() < 0.33}
    rows = [
        row.replace(",TWD,", ",USD,") if int(row.split(",")[0][1:]) in usd else row for row in rows
    ]
    _import(*rows)
    for n in range(3):
        sale("P-ACME" if n % 2 else "P-BETA", "SW-24", f"2026-09-{n + 10}", "0.00")
    assert Sale.objects.exclude(original_currency="").exists()
    # Unpaid, or paid in one or two instalments, some before their invoice date.
    paid = [
        rng.choice([None, (rng.randrange(-3, 45), rng.choice([None, rng.randrange(1, 30)]))])
        for _ in generated
    ]
    _pay(_payment_rows(paid))
    _assert_in_step()
    segments = plan_segments(None)
    partner_ids = sorted(
        Partner.objects.filter(code__in=["P-ACME", "P-BETA"]).values_list("pk", flat=True)
    )

    for label in (*MONTHS, "2026-12"):
        period = periods.month(label)
        expected = _reference(period)
        assert _plain(aggregate(period=period, partner_ids=None, segments=segments)) == expected
        # each partner alone: the same sums
        for partner_id in partner_ids:
            alone = aggregate(period=period, partner_ids=[partner_id], segments=segments)
            assert _plain(alone) == {k: v for k, v in expected.items() if k == partner_id}


# Query counts ----------------------------------------------------------------------------------


def _paid_month(label: str, count: int) -> None:
    """`count` sales of P-ACME (on payment) and of P-BETA (no agreement), invoiced in the month
    before `label` and in it, a return of each tenth, every sale of P-ACME paid in `label`."""
    first = periods.month(label).start
    before = first - dt.timedelta(days=5)
    rows = []
    for n in range(count):
        day = before if n % 2 else first + dt.timedelta(days=n % 20)
        rows.append(f"{label}-A{n},P-ACME,SW-24,C,,,,{day},sale,2,{100 + n}.00,TWD,")
        rows.append(f"{label}-B{n},P-BETA,FW-1,C,,,,{first},sale,1,{50 + n}.00,USD,")
        if n % 10 == 0:
            rows.append(
                f"{label}-R{n},P-ACME,SW-24,C,,,,{first + dt.timedelta(days=21)},return,1,"
                f"10.00,TWD,{label}-A{n}"
            )
    _import(*rows)
    _payments(*(f"{label}-A{n},{first + dt.timedelta(days=20)},{100 + n}.00" for n in range(count)))


@pytest.mark.parametrize(("label", "count"), [("2026-10", 4), ("2026-11", 40)])
def test_a_recompute_on_payment_runs_the_same_queries_whatever_the_rows(
    label, count, django_assert_num_queries
):
    load(program(commission_plans=[plan(NET_5, accrual="payment")], exchange_rates=RATES))
    _paid_month(label, count)

    with django_assert_num_queries(RECOMPUTE_QUERIES):
        recompute(month_label=label, today=dt.date(2026, 12, 31))

    period = periods.month(label)
    assert _plain(aggregate(period=period, partner_ids=None, segments=plan_segments(None))) == (
        _reference(period)
    )


@pytest.mark.parametrize("count", [4, 40])
def test_the_aggregate_on_payment_is_one_statement_whatever_the_rows(
    count, django_assert_num_queries
):
    load(program(commission_plans=[plan(NET_5, accrual="payment")], exchange_rates=RATES))
    _paid_month("2026-10", count)
    segments = plan_segments(None)
    period = periods.month("2026-10")

    # the rules and the products; the partners besides those accruing on payment throughout;
    # the settings of the statements (PostgreSQL); the invoice rollup's sales (P-BETA, with no
    # agreement), the paid rollup's sales and both rollups' returns; a savepoint around them
    settings = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(2 + 1 + settings + 3 + 2):
        sums = aggregate(period=period, partner_ids=None, segments=segments)
    # P-ACME alone accrues on payment throughout: neither the look-up nor the invoice rollup
    acme = Partner.objects.get(code="P-ACME").pk
    with django_assert_num_queries(2 + settings + 2 + 2):
        alone = aggregate(period=period, partner_ids=[acme], segments=segments)

    assert _plain(sums) == _reference(period)
    assert _plain(alone) == {acme: _reference(period)[acme]}
