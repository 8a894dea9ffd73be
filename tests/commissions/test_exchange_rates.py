"""Sales in another currency than their partner's (spec: Money in any currency): converted at
the latest rate on or before the invoice date, rounded half-up to the partner currency's minor
unit, the invoice's currency, amount and rate kept on the row; both import paths alike.

The figures are worked by hand: 100.01 USD × 31.50 = 3,150.315 → 3,150.32 TWD."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from agreements.services.program import ProgramFileError
from commissions.models import ExchangeRate, Sale
from commissions.rates import RateBook, convert, rate_text
from commissions.services import imports
from prm.core.models import Event

from .builders import csv_bytes, load, plan, program

pytestmark = pytest.mark.django_db

RATES = [
    {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": "31.50"},
    {"from": "USD", "to": "TWD", "date": "2026-10-04", "rate": "32.00"},
    {"from": "USD", "to": "HKD", "date": "2026-10-01", "rate": "7.805"},
    {"from": "TWD", "to": "USD", "date": "2026-10-01", "rate": "0.03125"},
    {"from": "USD", "to": "JPY", "date": "2026-10-01", "rate": "150.50"},
]
PATHS = [
    pytest.param(False, id="python"),
    pytest.param(
        True,
        id="sql",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"
        ),
    ),
]


def _program(**sections):
    data = program(
        commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})],
        **{"exchange_rates": RATES, **sections},
    )
    data["partners"] += [
        {"code": "P-HK", "name": "Harbour", "currency": "HKD"},
        {"code": "P-US", "name": "Union", "currency": "USD"},
    ]
    return data


@pytest.fixture(autouse=True)
def _loaded(db):
    load(_program())


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    monkeypatch.setattr(imports, "SQL_CHECKS", request.param)
    return request.param


def line(external_id, partner, day, amount, currency, kind="sale", original="", quantity="1"):
    return (
        f"{external_id},{partner},SW-24,C,,,,2026-{day},{kind},{quantity},{amount},"
        f"{currency},{original}"
    )


def _import(*rows: str):
    return imports.sales_import(content=csv_bytes(*rows), filename="sales.csv")


def _stored(external_id: str) -> tuple:
    return (
        Sale.objects.filter(external_id=external_id)
        .values_list(
            "net_amount",
            "currency",
            "original_amount",
            "original_currency",
            "exchange_rate",
            "rate_date",
        )
        .get()
    )


def _rejected(result) -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.reason) for r in result.rejected]


def test_a_rate_on_the_invoice_date_itself_and_the_day_before(path):
    result = _import(
        line("U-3", "P-ACME", "10-03", "100.01", "USD"),
        line("U-4", "P-ACME", "10-04", "100.01", "usd"),
    )

    assert (result.created, _rejected(result)) == (2, [])
    # 10-03: the 10-04 rate is not in force yet; 100.01 × 31.50 = 3,150.315 → 3,150.32
    assert _stored("U-3") == (
        Decimal("3150.32"),
        "TWD",
        Decimal("100.01"),
        "USD",
        Decimal("31.5"),
        dt.date(2026, 10, 1),
    )
    # 10-04: the rate dated that very day; 100.01 × 32.00 = 3,200.32
    assert _stored("U-4") == (
        Decimal("3200.32"),
        "TWD",
        Decimal("100.01"),
        "USD",
        Decimal("32"),
        dt.date(2026, 10, 4),
    )


def test_no_rate_yet_rejects_the_row_and_keeps_the_others(path):
    result = _import(
        line("U-0", "P-ACME", "09-30", "100.00", "USD"),
        line("T-1", "P-ACME", "09-30", "100.00", "TWD"),
        line("H-1", "P-HK", "10-05", "10.00", "TWD"),
    )

    assert _rejected(result) == [
        (2, "currency", "no USD→TWD rate on or before 2026-09-30"),
        (4, "currency", "no TWD→HKD rate on or before 2026-10-05"),
    ]
    assert list(Sale.objects.values_list("external_id", flat=True)) == ["T-1"]


def test_a_sale_in_its_partners_currency_is_stored_as_before(path):
    _import(line("T-1", "P-ACME", "10-05", "1234.56", "TWD"))

    assert _stored("T-1") == (Decimal("1234.56"), "TWD", None, "", None, None)


@pytest.mark.parametrize(
    ("partner", "amount", "currency", "expected", "target"),
    [
        # 100.01 × 31.50 = 3,150.315 → 3,150.32 (half-up, at the TWD's two decimals)
        ("P-ACME", "100.01", "USD", "3150.32", "TWD"),
        # 1.00 × 7.805 = 7.805 → 7.81 HKD (half-up; half-even would give 7.80)
        ("P-HK", "1.00", "USD", "7.81", "HKD"),
        # 100.00 × 0.03125 = 3.125 → 3.13 USD (half-up; half-even would give 3.12)
        ("P-US", "100.00", "TWD", "3.13", "USD"),
        # 1.00 × 150.50 = 150.5 → 151 JPY, which has no minor unit (half-even: 150)
        ("P-YEN", "1.00", "USD", "151", "JPY"),
        # 3.33 × 150.50 = 501.165 → 501 JPY
        ("P-YEN", "3.33", "USD", "501", "JPY"),
    ],
)
def test_rounding_to_the_partner_currencys_minor_unit(
    path, partner, amount, currency, expected, target
):
    result = _import(line("X-1", partner, "10-03", amount, currency))

    assert _rejected(result) == []
    net_amount, stored_currency, original_amount, *_ = _stored("X-1")
    assert (net_amount, stored_currency, original_amount) == (
        Decimal(expected),
        target,
        Decimal(amount),
    )


def test_the_amount_has_the_decimals_of_the_invoices_currency(path):
    # A JPY partner's USD invoice has cents; a USD amount with three decimals is refused.
    result = _import(line("X-1", "P-YEN", "10-05", "1.005", "USD"))

    assert _rejected(result) == [(2, "net_amount", "1.005 has more than 2 decimals (USD has 2)")]


def test_a_return_converts_at_its_original_sales_rate_across_a_rate_change(path):
    # given a USD sale on 10-03 at 31.50, already imported
    _import(line("U-1", "P-ACME", "10-03", "100.00", "USD"))

    # when returns dated after the 10-04 change to 32.00 arrive, one against a sale of the
    # same file
    result = _import(
        line("R-1", "P-ACME", "10-05", "40.00", "USD", kind="return", original="U-1"),
        line("U-2", "P-ACME", "10-03", "10.01", "USD"),
        line("R-2", "P-ACME", "10-06", "10.01", "USD", kind="return", original="U-2"),
    )

    # then each converts at its original's 31.50: 40.00 × 31.50 = 1,260.00 (not 1,280.00);
    # 10.01 × 31.50 = 315.315 → 315.32, as its sale
    assert (result.created, _rejected(result)) == (3, [])
    assert _stored("R-1") == (
        Decimal("1260.00"),
        "TWD",
        Decimal("40.00"),
        "USD",
        Decimal("31.5"),
        dt.date(2026, 10, 1),
    )
    assert _stored("R-2")[:3] == (Decimal("315.32"), "TWD", Decimal("10.01"))
    assert _stored("U-2")[0] == _stored("R-2")[0]


def test_a_return_is_in_its_original_sales_currency_and_within_it(path):
    _import(
        line("U-1", "P-ACME", "10-03", "100.00", "USD", quantity="10"),
        line("T-1", "P-ACME", "10-03", "100.00", "TWD"),
    )

    result = _import(
        line("R-1", "P-ACME", "10-05", "10.00", "TWD", kind="return", original="U-1"),
        line("R-2", "P-ACME", "10-05", "10.00", "USD", kind="return", original="T-1"),
        line("R-3", "P-ACME", "10-05", "60.00", "USD", kind="return", original="U-1"),
        line("R-4", "P-ACME", "10-05", "40.01", "USD", kind="return", original="U-1"),
        line("R-5", "P-ACME", "10-05", "40.00", "USD", kind="return", original="U-1"),
    )

    # What is left to return is counted in the invoice's currency: 100.00 − 60.00 USD.
    assert _rejected(result) == [
        (2, "original_external_id", "the original sale was invoiced in USD"),
        (3, "original_external_id", "the original sale was invoiced in TWD"),
        (
            5,
            "net_amount",
            "returns would exceed the original sale 'U-1' (still returnable: 9 units, 40.00)",
        ),
    ]
    assert sorted(Sale.objects.filter(kind="return").values_list("external_id", "net_amount")) == [
        ("R-3", Decimal("1890.00")),
        ("R-5", Decimal("1260.00")),
    ]


def test_converted_sales_feed_the_statement_at_their_converted_amount():
    # 100.01 USD → 3,150.32 TWD, plus 1,000.00 TWD: 5 % of 4,150.32 = 207.516 → 207.52
    _import(
        line("U-1", "P-ACME", "10-03", "100.01", "USD"),
        line("T-1", "P-ACME", "10-03", "1000.00", "TWD"),
    )
    call_command("recompute_payouts", "--period", "2026-10", stdout=StringIO())

    out = StringIO()
    call_command("export_statements", "--period", "2026-10", stdout=out)
    assert '"total": "207.52"' in out.getvalue()


# The program file ---------------------------------------------------------------------------


def test_the_program_file_upserts_rates_by_pair_and_day_idempotently():
    assert ExchangeRate.objects.count() == len(RATES)

    report = load(_program())
    assert report.unchanged["exchange_rates"] == len(RATES)

    changed = [dict(RATES[0], rate="31.55"), *RATES[1:]]
    report = load(_program(exchange_rates=changed))
    assert report.updated["exchange_rates"] == 1
    assert ExchangeRate.objects.get(from_currency="USD", to_currency="TWD", date="2026-10-01").rate
    assert (
        str(
            ExchangeRate.objects.get(from_currency="USD", to_currency="TWD", date="2026-10-01").rate
        )
        == "31.55000000"
    )
    assert Event.objects.filter(verb="exchange_rate.saved").count() == len(RATES) + 1


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"to": "TWD", "date": "2026-10-01", "rate": "1"}, "exchange_rates[0].from: required"),
        (
            {"from": "XYZ", "to": "TWD", "date": "2026-10-01", "rate": "1"},
            "exchange_rates[0].from: unknown currency 'XYZ'",
        ),
        (
            {"from": "TWD", "to": "TWD", "date": "2026-10-01", "rate": "1"},
            "exchange_rates[0].to: must differ from `from`",
        ),
        (
            {"from": "USD", "to": "TWD", "date": "2026-10-32", "rate": "1"},
            "exchange_rates[0].date: not a date (YYYY-MM-DD)",
        ),
        (
            {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": 31.5},
            'exchange_rates[0].rate: not a decimal (write it as a string, e.g. "31.50")',
        ),
        (
            {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": "0"},
            "exchange_rates[0].rate: must be greater than zero",
        ),
        (
            {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": "1.123456789"},
            "exchange_rates[0].rate: more than 8 decimal places",
        ),
        (
            {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": "abc"},
            "exchange_rates[0].rate: not a decimal",
        ),
    ],
)
def test_a_bad_rate_is_refused_naming_its_field(entry, error):
    with pytest.raises(ProgramFileError) as raised:
        load(_program(exchange_rates=[entry]))

    assert error in raised.value.errors


def test_a_pair_and_day_twice_in_the_file_is_refused():
    with pytest.raises(ProgramFileError) as raised:
        load(_program(exchange_rates=[RATES[0], dict(RATES[0], rate="30")]))

    assert "exchange_rates[1].date: duplicate of exchange_rates[0]" in raised.value.errors


# The helpers --------------------------------------------------------------------------------


def test_the_rate_book_answers_the_latest_rate_on_or_before_a_day(django_assert_num_queries):
    with django_assert_num_queries(1):
        book = RateBook()
    assert book.latest("USD", "TWD", dt.date(2026, 9, 30)) is None
    assert book.latest("USD", "TWD", dt.date(2026, 10, 3)).rate == Decimal("31.5")
    assert book.latest("USD", "TWD", dt.date(2026, 10, 4)).label == "USD→TWD 32.00 on 2026-10-04"
    assert book.latest("HKD", "TWD", dt.date(2026, 10, 4)) is None
    assert rate_text(Decimal("7.80500000")) == "7.805"
    assert convert(Decimal("2.5"), Decimal("1"), "JPY") == Decimal("3")


def test_the_admin_adds_and_corrects_a_rate_through_the_service(world):
    from django.urls import reverse

    client = world.client("vendor_admin")

    added = client.post(
        reverse("admin:commissions_exchangerate_add"),
        {"from_currency": "HKD", "to_currency": "TWD", "date": "2026-10-02", "rate": "4.0555"},
    )
    assert added.status_code == 302
    rate = ExchangeRate.objects.get(from_currency="HKD")
    corrected = client.post(
        reverse("admin:commissions_exchangerate_change", args=[rate.pk]), {"rate": "4.06"}
    )
    assert corrected.status_code == 302

    rate.refresh_from_db()
    assert (rate.date, rate.rate) == (dt.date(2026, 10, 2), Decimal("4.06"))
    events = Event.objects.filter(verb="exchange_rate.saved", target_id=str(rate.pk)).order_by("pk")
    assert [(e.before, e.after["rate"]) for e in events] == [
        ({}, "4.0555"),
        ({"rate": "4.0555"}, "4.06"),
    ]
    listing = client.get(reverse("admin:commissions_exchangerate_changelist"))
    assert "4.06" in listing.content.decode()


def test_deleting_a_rate_in_admin_records_who_deleted_which_rate(world):
    from django.urls import reverse

    from prm.core.events import event_sentence

    client = world.client("vendor_admin")
    rate = ExchangeRate.objects.create(
        from_currency="HKD", to_currency="TWD", date=dt.date(2026, 10, 2), rate=Decimal("4.0555")
    )
    answer = client.post(
        reverse("admin:commissions_exchangerate_delete", args=[rate.pk]), {"post": "yes"}
    )
    assert answer.status_code == 302
    assert not ExchangeRate.objects.filter(pk=rate.pk).exists()
    [event] = Event.objects.filter(verb="exchange_rate.deleted")
    assert (event.target_id, event.actor, event.partner_id) == (
        str(rate.pk),
        world.users["vendor_admin"],
        None,
    )
    assert event.before == {"pair": "HKD→TWD", "date": "2026-10-02", "rate": "4.0555"}
    assert event_sentence(event) == (
        f"{world.users['vendor_admin']} deleted the exchange rate HKD→TWD 4.0555 from 2026-10-02."
    )


def test_the_bulk_delete_action_records_one_event_per_rate(world):
    from django.urls import reverse

    client = world.client("vendor_admin")
    kept = ExchangeRate.objects.create(
        from_currency="JPY", to_currency="TWD", date=dt.date(2026, 10, 2), rate=Decimal("0.21")
    )
    gone = [
        ExchangeRate.objects.create(
            from_currency="HKD", to_currency="TWD", date=dt.date(2026, 10, day), rate=Decimal(r)
        )
        for day, r in ((2, "4.05"), (3, "4.06"))
    ]
    answer = client.post(
        reverse("admin:commissions_exchangerate_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [r.pk for r in gone],
            "post": "yes",
        },
    )
    assert answer.status_code == 302
    assert list(ExchangeRate.objects.filter(from_currency__in=["HKD", "JPY"])) == [kept]
    events = Event.objects.filter(verb="exchange_rate.deleted").order_by("pk")
    assert [(e.target_id, e.before["date"], e.before["rate"]) for e in events] == [
        (str(gone[0].pk), "2026-10-02", "4.05"),
        (str(gone[1].pk), "2026-10-03", "4.06"),
    ]
    assert {e.actor for e in events} == {world.users["vendor_admin"]}
