"""A purchase line invoiced in another currency than its partner's shows its invoice's currency,
unit price and rate wherever purchase lines are listed: the purchases page, a claim's lines, the
claims API, the export command and Django admin (spec "Money in any currency")."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from funds.models import PriceProtectionClaim, PurchaseInvoiceLine
from funds.protection import claim_declare
from tests.agreements.factories import ProductFactory

TODAY = timezone.localdate()
RATE_DAY = TODAY - dt.timedelta(days=12)
ORIGINAL = f"28.01 USD at 31.50 ({RATE_DAY.isoformat()})"
LIST_QUERIES = 3


def purchase(partner, product, number, line, days, units, price, **original):
    return PurchaseInvoiceLine.objects.create(
        invoice_number=number,
        line=line,
        partner=partner,
        product=product,
        invoice_date=TODAY - dt.timedelta(days=days),
        quantity=Decimal(units),
        unit_net_price=Decimal(price),
        currency="TWD",
        **original,
    )


def converted(partner, product, number, line=1, days=10):
    # 28.01 USD × 31.50 = 882.315 → 882.32 TWD
    return purchase(
        partner,
        product,
        number,
        line,
        days,
        "4",
        "882.32",
        original_currency="USD",
        original_unit_net_price=Decimal("28.01"),
        exchange_rate=Decimal("31.50000000"),
        rate_date=RATE_DAY,
    )


@pytest.fixture
def product(world):
    return ProductFactory(sku="SW-24")


@pytest.fixture
def claim(world, product):
    converted(world.partner, product, "INV-USD", days=10)
    purchase(world.partner, product, "INV-TWD", 1, 5, "3", "850.00")
    claim = PriceProtectionClaim.objects.create(
        partner=world.partner,
        product=product,
        effective_date=TODAY,
        trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal("800.00"),
        currency="TWD",
        protection_days=30,
        deadline=TODAY + dt.timedelta(days=30),
    )
    return claim_declare(
        actor=world.users["partner_finance"], claim=claim, on_hand=Decimal("5"), today=TODAY
    )


def test_the_purchases_page_shows_the_invoice_currency_price_and_rate(world, product):
    converted(world.partner, product, "INV-USD")
    purchase(world.partner, product, "INV-TWD", 1, 5, "3", "850.00")
    page = world.client("partner_finance").get(reverse("purchase_list")).content.decode()
    assert "TWD 882.32" in page
    assert ORIGINAL in page
    # Only the converted line says so.
    assert page.count('data-key="original"') == 1


def test_the_purchases_page_query_count_does_not_grow_with_lines(
    world, product, django_assert_num_queries
):
    client = world.client("vendor_admin")
    converted(world.partner, product, "INV-1")
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("purchase_list"))
    for n in range(2, 12):
        converted(world.other_partner, product, f"INV-{n}")
    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(reverse("purchase_list")).content.decode()
    assert page.count('data-key="original"') == 11


def test_a_claims_lines_show_the_purchase_as_invoiced(world, claim):
    page = (
        world.client("partner_finance")
        .get(reverse("protection_claim_detail", kwargs={"pk": claim.pk}))
        .content.decode()
    )
    assert "INV-USD / 1" in page
    assert "28.01 USD at 31.50" in page
    assert page.count('data-key="original"') == 1


def test_the_preview_before_declaring_shows_the_purchase_as_invoiced(world, product):
    converted(world.partner, product, "INV-USD")
    claim = PriceProtectionClaim.objects.create(
        partner=world.partner,
        product=product,
        effective_date=TODAY,
        trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal("800.00"),
        currency="TWD",
        protection_days=30,
        deadline=TODAY + dt.timedelta(days=30),
    )
    url = reverse("protection_claim_detail", kwargs={"pk": claim.pk})
    page = world.client("partner_finance").get(url, {"on_hand": "2"}).content.decode()
    assert "28.01 USD at 31.50" in page


EXPECTED_LINES = [
    {
        "invoice_number": "INV-TWD",
        "line": 1,
        "units": "3",
        "unit_net_price": "850.00",
        "credit": "150.00",
        "original_currency": None,
        "original_unit_net_price": None,
        "exchange_rate": None,
        "rate_date": None,
    },
    {
        "invoice_number": "INV-USD",
        "line": 1,
        "units": "2",
        "unit_net_price": "882.32",
        "credit": "164.64",
        "original_currency": "USD",
        "original_unit_net_price": "28.01",
        "exchange_rate": "31.50",
        "rate_date": RATE_DAY.isoformat(),
    },
]


def test_the_claims_api_gives_each_lines_original_currency_price_and_rate(world, claim):
    listed = world.client("partner_finance").get(reverse("api:protection-claim-list")).json()
    assert [c["lines"] for c in listed] == [EXPECTED_LINES]
    # The keys that were there before keep their place; the new ones come after them.
    assert list(listed[0]["lines"][0])[:5] == [
        "invoice_number",
        "line",
        "units",
        "unit_net_price",
        "credit",
    ]


def test_the_export_command_adds_the_original_columns_at_the_end(world, claim, capsys):
    call_command("export_price_protection", "--partner", "P-A")
    data = json.loads(capsys.readouterr().out)
    assert data[0]["lines"] == EXPECTED_LINES
    assert list(data[0]["lines"][1])[-4:] == [
        "original_currency",
        "original_unit_net_price",
        "exchange_rate",
        "rate_date",
    ]


def test_the_admin_lists_purchase_lines_read_only_with_partner_and_currency_filters(world, product):
    converted(world.partner, product, "INV-USD")
    purchase(world.other_partner, product, "INV-B", 1, 5, "3", "850.00")
    client = world.client("vendor_admin")
    url = reverse("admin:funds_purchaseinvoiceline_changelist")

    page = client.get(url).content.decode()
    assert "INV-USD/1" in page
    assert "INV-B/1" in page
    assert "28.01" in page
    assert "31.5" in page
    only_a = client.get(url, {"partner__id__exact": world.partner.pk}).content.decode()
    assert "INV-USD/1" in only_a
    assert "INV-B/1" not in only_a
    only_usd = client.get(url, {"original_currency": "USD"}).content.decode()
    assert "INV-USD/1" in only_usd
    assert "INV-B/1" not in only_usd
    by_currency = client.get(url, {"currency": "TWD"}).content.decode()
    assert "INV-B/1" in by_currency

    line = PurchaseInvoiceLine.objects.get(invoice_number="INV-USD")
    assert client.get(reverse("admin:funds_purchaseinvoiceline_add")).status_code == 403
    change = client.post(
        reverse("admin:funds_purchaseinvoiceline_change", args=[line.pk]),
        {"unit_net_price": "1.00"},
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:funds_purchaseinvoiceline_delete", args=[line.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    line.refresh_from_db()
    assert line.unit_net_price == Decimal("882.32")
    assert PurchaseInvoiceLine.objects.filter(pk=line.pk).exists()
