"""Vendor-side totals across partners in the reporting currency (spec: Money in any currency):
each currency's sum converted at the latest rate on or before the day, the rates listed, sums
without a rate shown apart and never dropped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import ExchangeRate, Statement
from commissions.rates import reporting_total
from partners.models import Partner
from tests.funds.conftest import make_fund

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 3)


def _rate(from_currency: str, day: dt.date, rate: str, to_currency: str = "TWD") -> None:
    ExchangeRate.objects.create(
        from_currency=from_currency, to_currency=to_currency, date=day, rate=Decimal(rate)
    )


def test_a_total_converts_each_currencys_sum_and_keeps_those_without_a_rate_apart(
    db, django_assert_num_queries
):
    _rate("USD", dt.date(2026, 10, 1), "31.50")
    _rate("USD", dt.date(2026, 10, 4), "32.00")  # after the day: not used
    _rate("JPY", dt.date(2026, 10, 1), "0.2150")
    _rate("HKD", dt.date(2026, 10, 4), "4.05")  # none on or before the day

    with django_assert_num_queries(1):
        total = reporting_total(
            [
                ("TWD", Decimal("1000.00")),
                ("USD", Decimal("60.00")),
                ("USD", Decimal("40.01")),
                ("JPY", Decimal("1001")),
                ("HKD", Decimal("50.00")),
                ("EUR", None),
            ],
            day=TODAY,
            currency="TWD",
        )

    # 1,000.00 + 100.01 × 31.50 (3,150.315 → 3,150.32) + 1,001 × 0.2150 (215.215 → 215.22)
    assert total.total == Decimal("4365.54")
    assert total.rate_labels == ["JPY→TWD 0.215 on 2026-10-01", "USD→TWD 31.50 on 2026-10-01"]
    assert total.unconverted == [("HKD", Decimal("50.00"))]


def test_the_reporting_currency_is_a_setting(db, settings):
    settings.PRM_REPORTING_CURRENCY = "USD"
    _rate("TWD", dt.date(2026, 10, 1), "0.03125", to_currency="USD")

    total = reporting_total([("TWD", Decimal("100.00")), ("USD", Decimal("1.00"))], day=TODAY)

    # 1.00 + 100.00 × 0.03125 = 3.125 → 3.13
    assert (total.currency, total.total) == ("USD", Decimal("4.13"))


def _statement(partner: Partner, total: str, period: str = "2026-09") -> Statement:
    start = dt.date.fromisoformat(f"{period}-01")
    return Statement.objects.create(
        partner=partner,
        period=period,
        period_start=start,
        period_end=start,
        currency=partner.currency,
        total=Decimal(total),
    )


@pytest.fixture
def three_currencies(world):
    """A TWD, a USD and a HKD partner (no HKD rate), each with a draft statement and a fund."""
    Partner.objects.filter(pk=world.other_partner.pk).update(currency="USD")
    world.other_partner.refresh_from_db()
    hk = type(world.partner).objects.create(code="P-HK", name="Harbour", currency="HKD")
    _rate("USD", timezone.localdate() - dt.timedelta(days=2), "31.50")
    _statement(world.partner, "1000.00")
    _statement(world.other_partner, "100.01")
    _statement(hk, "50.00")
    for partner in (world.partner, world.other_partner, hk):
        make_fund(partner=partner, code=f"MDF-{partner.code}", amount=Decimal("1000.00"))
    return world


def test_the_vendor_statement_list_totals_every_partner_in_the_reporting_currency(
    three_currencies,
):
    world = three_currencies
    label = f"USD→TWD 31.50 on {timezone.localdate() - dt.timedelta(days=2):%Y-%m-%d}"

    response = world.client("vendor_admin").get(reverse("statement_list"))

    total = response.context["reporting_total"]
    # 1,000.00 + 100.01 × 31.50 = 4,150.32; the HKD statement is listed apart
    assert total.total == Decimal("4150.32")
    body = response.content.decode()
    assert "4,150.32" in body
    assert label in body
    assert "50.00 HKD" in body
    partner_page = world.client("partner_finance").get(reverse("statement_list"))
    assert "reporting_total" not in partner_page.context


def test_the_vendor_dashboard_totals_the_draft_statements(three_currencies):
    response = three_currencies.client("vendor_admin").get("/")

    total = response.context["draft_statement_total"]
    assert (total.currency, total.total, total.unconverted) == (
        "TWD",
        Decimal("4150.32"),
        [("HKD", Decimal("50.00"))],
    )
    assert 'data-key="reporting-total"' in response.content.decode()


def test_the_vendor_dashboards_draft_total_follows_statements_out_of_draft_and_back(
    three_currencies,
):
    # Read from the statements' rollup for who sees every partner: a currency whose drafts
    # have all been approved is gone; a new draft counts, a deleted one no longer does.
    world = three_currencies
    client = world.client("vendor_admin")
    Statement.objects.filter(currency="HKD").update(status=Statement.Status.APPROVED)
    usd = Statement.objects.get(currency="USD")
    usd.total = Decimal("200.02")
    usd.save(update_fields=["total"])

    total = client.get("/").context["draft_statement_total"]
    # 1,000.00 + 200.02 × 31.50 = 7,300.63
    assert (total.total, total.unconverted) == (Decimal("7300.63"), [])

    _statement(Partner.objects.get(code="P-HK"), "75.00", period="2026-08")
    Statement.objects.filter(currency="TWD").delete()
    total = client.get("/").context["draft_statement_total"]
    assert (total.total, total.unconverted) == (Decimal("6300.63"), [("HKD", Decimal("75.00"))])


def test_the_fund_report_totals_the_budgets_in_the_reporting_currency(three_currencies):
    response = three_currencies.client("vendor_admin").get("/funds/report/")

    totals = dict(response.context["totals"])
    budget = totals["Budget"]
    # Each partner's budget of its fund: 1,000.00 TWD + 1,000.00 USD × 31.50; HKD apart
    amounts = {
        b.partner.code: b.amount for b in response.context["rows"] if b.fund.code.startswith("MDF-")
    }
    usd = amounts[three_currencies.other_partner.code]
    twd = amounts[three_currencies.partner.code]
    assert budget.total == twd + usd * Decimal("31.50")
    assert budget.unconverted == [("HKD", amounts["P-HK"])]
    assert 'data-key="reporting-totals"' in response.content.decode()
