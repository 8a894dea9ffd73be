"""The net-price rule, table-driven, plus a constant-query check over a large catalogue."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from agreements.pricing import (
    SheetProduct,
    format_percent,
    price_products,
    price_row_as_dict,
    price_sheet,
    price_sheet_pages,
    upcoming_price_changes,
)
from partners.models import Territory

from ..factories import PartnerFactory, TierFactory
from .factories import (
    PriceListFactory,
    PriceListItemFactory,
    PriceOverrideFactory,
    ProductFactory,
    ProductLineFactory,
    PromotionFactory,
    TierLineDiscountFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date(2026, 11, 1)


@pytest.fixture
def catalogue():
    gold = TierFactory(code="gold", default_discount=Decimal("20"))
    silver = TierFactory(code="silver", default_discount=Decimal("10"))
    net = ProductLineFactory(code="NET")
    sec = ProductLineFactory(code="SEC")
    switch = ProductFactory(sku="SW-24", line=net)
    firewall = ProductFactory(sku="FW-1", line=sec)
    base = PriceListFactory(code="BASE", effective_from=dt.date(2026, 1, 1))
    PriceListItemFactory(
        price_list=base,
        product=switch,
        list_price=Decimal("12000.00"),
        map_price=Decimal("11000.00"),
    )
    PriceListItemFactory(price_list=base, product=firewall, list_price=Decimal("999.99"))
    TierLineDiscountFactory(tier=gold, line=net, percent=Decimal("25"))
    partner = PartnerFactory(code="P-ACME", tier=gold)
    return {
        "gold": gold,
        "silver": silver,
        "net": net,
        "switch": switch,
        "firewall": firewall,
        "partner": partner,
        "base": base,
    }


def _row(partner, sku, on=D):
    return next(
        price_row_as_dict(r) for r in price_sheet(partner=partner, on=on) if r.product.sku == sku
    )


def test_override_beats_tier_line_discount(catalogue):
    PriceOverrideFactory(
        partner=catalogue["partner"], product=catalogue["switch"], discount=Decimal("30")
    )
    row = _row(catalogue["partner"], "SW-24")
    assert (row["discount"], row["net_price"]) == ("30", "8400.00")


def test_tier_line_discount_beats_tier_default(catalogue):
    row = _row(catalogue["partner"], "SW-24")
    assert (row["discount"], row["net_price"], row["map_price"]) == ("25", "9000.00", "11000.00")


def test_tier_default_applies_to_lines_without_their_own_discount(catalogue):
    row = _row(catalogue["partner"], "FW-1")
    # 999.99 x 0.80 = 799.992 -> 799.99
    assert (row["discount"], row["net_price"], row["map_price"]) == ("20", "799.99", None)


def test_net_price_override_then_promotion(catalogue):
    PriceOverrideFactory(
        partner=catalogue["partner"],
        product=catalogue["switch"],
        discount=None,
        net_price=Decimal("8000.00"),
    )
    PromotionFactory(code="Q4NET", line=catalogue["net"], percent=Decimal("5"))
    row = _row(catalogue["partner"], "SW-24")
    assert row == {
        "sku": "SW-24",
        "list_price": "12000.00",
        "discount": "33.33",
        "promotion": "5",
        "net_price": "7600.00",
        "map_price": "11000.00",
        "currency": "TWD",
    }


def test_spec_example(catalogue):
    PriceOverrideFactory(
        partner=catalogue["partner"], product=catalogue["switch"], discount=Decimal("30")
    )
    promo = PromotionFactory(
        code="Q4NET",
        line=catalogue["net"],
        percent=Decimal("5"),
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 12, 31),
    )
    promo.tiers.add(catalogue["gold"])
    row = _row(catalogue["partner"], "SW-24")
    # 12000 x (1 - 30%) x (1 - 5%) = 7980
    assert (row["discount"], row["promotion"], row["net_price"]) == ("30", "5", "7980.00")


@pytest.mark.parametrize(
    ("promotions", "expected_promotion", "expected_net"),
    [
        ([("A", "5"), ("B", "8")], "8", "8280.00"),  # best single promotion, never stacked
        ([("A", "8"), ("B", "8")], "8", "8280.00"),
        ([("A", "3")], "3", "8730.00"),
        ([], None, "9000.00"),
    ],
)
def test_best_single_promotion_wins(catalogue, promotions, expected_promotion, expected_net):
    for code, pct in promotions:
        PromotionFactory(code=code, percent=Decimal(pct), line=catalogue["net"])
    row = _row(catalogue["partner"], "SW-24")
    assert (row["promotion"], row["net_price"]) == (expected_promotion, expected_net)


@pytest.mark.parametrize(
    ("start", "end", "applies"),
    [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 1), True),  # one-day promotion on D
        (dt.date(2026, 10, 1), dt.date(2026, 10, 31), False),  # ended the day before
        (dt.date(2026, 11, 2), dt.date(2026, 12, 31), False),  # starts the day after
    ],
)
def test_promotion_outside_its_dates_is_ignored(catalogue, start, end, applies):
    PromotionFactory(code="X", percent=Decimal("10"), start=start, end=end)
    assert (_row(catalogue["partner"], "SW-24")["promotion"] is not None) is applies


@pytest.mark.parametrize(
    ("audience", "applies"),
    [
        ("gold-tier", True),
        ("silver-tier", False),
        ("own-territory", True),
        ("other-territory", False),
        ("this-partner", True),
        ("other-partner", False),
        ("everyone", True),
    ],
)
def test_promotion_audience(catalogue, audience, applies):
    partner = catalogue["partner"]
    tpe, hkg = (
        Territory.objects.create(code="TW-TPE", name="Taipei"),
        Territory.objects.create(code="HK", name="Hong Kong"),
    )
    partner.territories.add(tpe)
    promo = PromotionFactory(code="AUD", percent=Decimal("10"))
    match audience:
        case "gold-tier":
            promo.tiers.add(catalogue["gold"])
        case "silver-tier":
            promo.tiers.add(catalogue["silver"])
        case "own-territory":
            promo.territories.add(tpe)
        case "other-territory":
            promo.territories.add(hkg)
        case "this-partner":
            promo.partners.add(partner)
        case "other-partner":
            promo.partners.add(PartnerFactory())
    assert (_row(partner, "SW-24")["promotion"] == "10") is applies


@pytest.mark.parametrize(
    ("scope", "applies_to_switch", "applies_to_firewall"),
    [("line", True, False), ("sku", True, False), ("all", True, True), ("other-sku", False, True)],
)
def test_promotion_scope(catalogue, scope, applies_to_switch, applies_to_firewall):
    kwargs = {
        "line": {"line": catalogue["net"]},
        "sku": {"product": catalogue["switch"]},
        "all": {},
        "other-sku": {"product": catalogue["firewall"]},
    }[scope]
    PromotionFactory(code="S", percent=Decimal("10"), **kwargs)
    assert (_row(catalogue["partner"], "SW-24")["promotion"] is not None) is applies_to_switch
    assert (_row(catalogue["partner"], "FW-1")["promotion"] is not None) is applies_to_firewall


@pytest.mark.parametrize(
    ("currency", "list_price", "discount", "expected"),
    [
        ("TWD", "100.05", "50", "50.03"),  # 50.025 rounds half up
        ("USD", "0.05", "50", "0.03"),  # 0.025 -> 0.03
        ("USD", "10.10", "15", "8.59"),  # 8.585 -> 8.59
        ("JPY", "101", "50", "51"),  # 50.5 -> 51
        ("JPY", "99", "50", "50"),  # 49.5 -> 50
        ("JPY", "1000", "33.33", "667"),  # 666.7 -> 667
    ],
)
def test_rounding_half_up_at_the_minor_unit(currency, list_price, discount, expected):
    tier = TierFactory(code="registered", default_discount=Decimal(discount))
    product = ProductFactory(sku="X-1", currency=currency)
    price_list = PriceListFactory(code=f"L-{currency}", currency=currency)
    PriceListItemFactory(price_list=price_list, product=product, list_price=Decimal(list_price))
    row = _row(PartnerFactory(tier=tier, currency=currency), "X-1")
    assert row["net_price"] == expected
    assert row["currency"] == currency


def test_list_price_in_force_on_the_date(catalogue):
    later = PriceListFactory(code="2027", effective_from=dt.date(2027, 1, 1))
    PriceListItemFactory(
        price_list=later, product=catalogue["switch"], list_price=Decimal("13000.00")
    )
    assert _row(catalogue["partner"], "SW-24", on=dt.date(2026, 12, 31))["list_price"] == "12000.00"
    assert _row(catalogue["partner"], "SW-24", on=dt.date(2027, 1, 1))["list_price"] == "13000.00"


def test_product_without_a_price_yet(catalogue):
    row = _row(catalogue["partner"], "SW-24", on=dt.date(2025, 6, 1))
    assert row["list_price"] is row["net_price"] is None


def test_every_row_explains_itself(catalogue):
    PriceOverrideFactory(
        partner=catalogue["partner"], product=catalogue["switch"], discount=Decimal("30")
    )
    PromotionFactory(code="Q4NET", line=catalogue["net"], percent=Decimal("5"))
    row = next(
        r for r in price_sheet(partner=catalogue["partner"], on=D) if r.product.sku == "SW-24"
    )
    text = " ".join(row.steps)
    assert "price list BASE" in text
    assert "agreed discount for this product: 30%" in text
    assert "Promotion Q4NET: 5% off" in text
    assert "7980.00 TWD" in text


def _explained(row) -> tuple:
    return (
        row.product.pk,
        row.product.sku,
        row.product.line.code,
        price_row_as_dict(row),
        row.discount_source,
        row.promotion,
        row.promotion_candidates,
        row.steps,
    )


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_page_of_the_sheet_prices_its_products_as_the_service_does(catalogue, language):
    # given: a product in every state: agreed discount, agreed net price, tier line discount,
    # tier default discount, no list price yet, a promotion for one line
    partner = catalogue["partner"]
    sec = ProductFactory(sku="FW-2", line=catalogue["firewall"].line)
    PriceListItemFactory(price_list=catalogue["base"], product=sec, list_price=Decimal("10.05"))
    agreed = ProductFactory(sku="SW-30", line=catalogue["net"])
    PriceListItemFactory(price_list=catalogue["base"], product=agreed, list_price=Decimal("500"))
    PriceOverrideFactory(partner=partner, product=agreed, discount=None, net_price=Decimal("420"))
    PriceOverrideFactory(partner=partner, product=sec, discount=Decimal("12.5"))
    ProductFactory(sku="SW-99", line=catalogue["net"])
    PromotionFactory(code="Q4NET", line=catalogue["net"], percent=Decimal("5"))
    with translation.override(language):
        # when
        pages, lines = price_sheet_pages(partner=partner, on=D)
        page = pages[0:50]
        rows = price_products(partner=partner, on=D, priced=page, lines=lines)
        # then: the first page (read with its prices) and later ones (their prices read after
        # them) hold the same products
        assert [p.pk for p in page] == [p.pk for p in pages[0:2] + pages[2:50]]
        assert [_explained(row) for row in rows] == [
            _explained(row)
            for row in price_products(
                partner=partner, on=D, priced=pages[0:1] + pages[1:50], lines=lines
            )
        ]
        assert all(isinstance(product, SheetProduct) for product in page)
        assert [_explained(row) for row in rows] == [
            _explained(row)
            for row in sorted(price_sheet(partner=partner, on=D), key=lambda row: row.product.sku)
        ]
    assert [row.discount_source for row in rows] == [
        "tier_default",
        "override_discount",
        "tier_line",
        "override_net_price",
        "none",
    ]


def test_an_empty_sheet_reads_no_page(catalogue, django_assert_num_queries):
    pages, _lines = price_sheet_pages(partner=catalogue["partner"], on=D, search="nothing")
    assert pages.count() == 0
    with django_assert_num_queries(0):
        assert pages[0:0] == []


def test_a_page_of_the_sheet_for_a_partner_without_tier(catalogue):
    partner = PartnerFactory(tier=None)
    pages, lines = price_sheet_pages(partner=partner, on=D)
    rows = price_products(partner=partner, on=D, priced=pages[0:50], lines=lines)
    assert [_explained(row) for row in rows] == [
        _explained(row)
        for row in sorted(price_sheet(partner=partner, on=D), key=lambda row: row.product.sku)
    ]
    assert {row.discount_source for row in rows} == {"none"}


def test_partner_without_tier_gets_no_discount(catalogue):
    row = _row(PartnerFactory(tier=None), "SW-24")
    assert (row["discount"], row["net_price"]) == ("0", "12000.00")


@pytest.mark.parametrize(
    ("value", "text"),
    [("25", "25"), ("25.00", "25"), ("12.50", "12.5"), ("0", "0"), ("33.333", "33.33")],
)
def test_format_percent(value, text):
    assert format_percent(Decimal(value)) == text


def test_price_sheet_queries_do_not_grow_with_products(catalogue, django_assert_num_queries):
    partner = catalogue["partner"]
    PromotionFactory(code="P1", line=catalogue["net"])
    PriceOverrideFactory(partner=partner, product=catalogue["firewall"])
    with django_assert_num_queries(SHEET_QUERIES):
        small = price_sheet(partner=partner, on=D)
    products = ProductFactory.create_batch(200, line=catalogue["net"])
    for product in products:
        PriceListItemFactory(price_list=catalogue["base"], product=product)
    with django_assert_num_queries(SHEET_QUERIES):
        large = price_sheet(partner=partner, on=D)
    assert (len(small), len(large)) == (2, 202)


# products with their prices and the partner's overrides, its tier with its line discounts,
# the promotions for it
SHEET_QUERIES = 3


def test_upcoming_price_changes_with_the_price_they_replace():
    partner = PartnerFactory()
    line = ProductLineFactory(code="UP")
    kept, second, usd = (
        ProductFactory(sku=sku, line=line, currency=currency)
        for sku, currency in (("UP-1", "TWD"), ("UP-2", "TWD"), ("UP-USD", "USD"))
    )
    base = PriceListFactory(code="UP-BASE")
    this_year = PriceListFactory(code="UP-NOW", effective_from=D - dt.timedelta(days=10))
    PriceListItemFactory(price_list=base, product=kept, list_price=Decimal("100.00"))
    PriceListItemFactory(price_list=this_year, product=kept, list_price=Decimal("110.00"))
    later = PriceListFactory(code="UP-LATER", effective_from=D + dt.timedelta(days=30))
    sooner = PriceListFactory(code="UP-SOON", effective_from=D + dt.timedelta(days=5))
    PriceListItemFactory(price_list=later, product=kept, list_price=Decimal("120.00"))
    PriceListItemFactory(price_list=sooner, product=second, list_price=Decimal("55.00"))
    # A TWD list naming a USD product changes nothing for it.
    PriceListItemFactory(price_list=later, product=usd, list_price=Decimal("9.00"))
    changes = upcoming_price_changes(partner=partner, on=D)
    assert [
        (c.sku, c.price_list, c.effective_from, c.current, c.new, c.currency) for c in changes
    ] == [
        ("UP-2", "UP-SOON", D + dt.timedelta(days=5), None, Decimal("55.00"), "TWD"),
        (
            "UP-1",
            "UP-LATER",
            D + dt.timedelta(days=30),
            Decimal("110.00"),
            Decimal("120.00"),
            "TWD",
        ),
    ]
    assert [c.sku for c in upcoming_price_changes(partner=partner, on=D, limit=1)] == ["UP-2"]
