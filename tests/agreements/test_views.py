import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import Agreement, AgreementVersion, Product
from agreements.services.agreements import (
    Terms,
    agreement_create,
    agreement_version_accept,
    agreement_version_propose,
)
from partners.models import Partner, Territory

from ..factories import PartnerFactory, TierFactory, VendorAdminFactory
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
TODAY = timezone.localdate()


@pytest.fixture
def agreement(world):
    ProductLineFactory(code="NET")
    Territory.objects.create(code="TW-TPE", name="Taipei")
    Territory.objects.create(code="TW-TXG", name="Taichung")
    agreement = agreement_create(
        actor=world.users["vendor_admin"],
        partner=world.partner,
        number="AG-7",
        start=TODAY - dt.timedelta(days=10),
        end=TODAY + dt.timedelta(days=355),
        terms=Terms(effective_date=TODAY, territories=["TW-TPE"], product_lines=["NET"]),
    )
    first = agreement.versions.get()
    agreement_version_accept(
        actor=world.users["partner_admin"],
        version=first,
        ip="127.0.0.1",
        seen_hash=first.terms_hash,
    )
    agreement_version_propose(
        actor=world.users["vendor_admin"],
        agreement=agreement,
        terms=Terms(
            effective_date=TODAY + dt.timedelta(days=30),
            territories=["TW-TPE", "TW-TXG"],
            product_lines=["NET"],
            price_notice_days=45,
        ),
        change_summary="Taichung added",
    )
    return agreement


def test_partner_admin_sees_the_difference_and_accepts(world, agreement):
    client = world.client("partner_admin")
    page = client.get(reverse("agreement_detail", args=["AG-7"]))
    body = page.content.decode()
    assert "Proposed version 2" in body
    assert "+ TW-TXG" in body
    assert "Taichung added" in body
    rows = {row.key: row for row in page.context["pending_rows"]}
    assert rows["price_notice_days"].changed
    assert (
        rows["price_notice_days"].old,
        rows["price_notice_days"].new,
    ) == ("30", "45")
    assert not rows["exclusive"].changed
    pending = page.context["pending"]

    response = client.post(
        reverse("agreement_accept", args=["AG-7"]),
        {"terms_hash": pending.terms_hash},
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.accepted_ip, pending.accepted_by) == (
        "accepted",
        "198.51.100.23",
        world.users["partner_admin"],
    )


def test_list_rows(world, agreement):
    """Number, partner (vendor staff only), type, term, status with a termination's end, and
    the published versions with the one awaiting acceptance marked."""
    Agreement.objects.filter(pk=agreement.pk).update(
        termination_effective=TODAY + dt.timedelta(days=90)
    )
    agreement.refresh_from_db()
    vendor = world.client("vendor_admin").get(reverse("agreement_list")).content.decode()
    row = re.search(
        r"<tr>\s*<td class=\"stack-title\"><a href=\"/agreements/AG-7/\">.*?</tr>", vendor, re.S
    )
    cells = [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    term = f"{agreement.start:%Y-%m-%d} – {agreement.end:%Y-%m-%d}"
    assert cells == [
        '<a href="/agreements/AG-7/">AG-7</a>',
        'Acme Trading <span class="small text-body-secondary">P-A</span>',
        "Distribution",
        term,
        f'<span class="badge rounded-pill status-badge agreement-status-{agreement.status}">'
        f"{agreement.get_status_display()}</span> "
        f'<span class="small text-danger">ends {TODAY + dt.timedelta(days=90):%Y-%m-%d}</span>',
        '<span class="badge text-bg-warning">v2 awaiting acceptance</span>',
    ]
    partner = world.client("partner_sales").get(reverse("agreement_list")).content.decode()
    row = re.search(r"<tr>\s*<td class=\"stack-title\">.*?</tr>", partner, re.S)
    cells = [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    assert len(cells) == 5
    assert "Acme Trading" not in row.group(0)
    agreement.versions.filter(number=2).update(status="superseded")
    again = world.client("partner_sales").get(reverse("agreement_list")).content.decode()
    assert '<td data-label="Versions">v2</td>' in again
    empty = world.client("vendor_admin").get(reverse("agreement_list"), {"status": "expired"})
    assert "No agreements." in empty.content.decode()


@pytest.mark.parametrize(
    ("role", "numbers"),
    [
        ("vendor_admin", ["AG-7", "AG-B"]),
        ("cm_assigned", ["AG-7"]),
        ("cm_unassigned", []),
        ("partner_sales", ["AG-7"]),
        ("other_partner", ["AG-B"]),
    ],
)
def test_list_shows_the_agreements_of_the_partners_each_user_sees(world, agreement, role, numbers):
    agreement_create(
        actor=world.users["vendor_admin"],
        partner=world.other_partner,
        number="AG-B",
        start=TODAY,
        end=TODAY + dt.timedelta(days=30),
        terms=Terms(effective_date=TODAY),
    )
    agreement.refresh_from_db()
    statuses = dict(Agreement.objects.values_list("number", "status"))
    client = world.client(role)
    for query in ({}, {"status": agreement.status}):
        response = client.get(reverse("agreement_list"), query)
        listed = [a.number for a in response.context["agreements"]]
        expected = [n for n in numbers if statuses[n] == query.get("status", statuses[n])]
        assert sorted(listed) == expected
        assert response.context["page_obj"].paginator.count == len(listed)


@pytest.mark.parametrize("role", ["partner_finance", "partner_sales", "vendor_admin"])
def test_only_the_partner_admin_sees_the_accept_button(world, agreement, role):
    body = world.client(role).get(reverse("agreement_detail", args=["AG-7"])).content.decode()
    assert "accept-version" not in body


def test_detail_and_list_queries_are_constant(world, agreement, django_assert_num_queries):
    client = world.client("partner_admin")
    url = reverse("agreement_detail", args=["AG-7"])
    client.get(url)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)
    for n in range(3):
        agreement_version_propose(
            actor=world.users["vendor_admin"],
            agreement=agreement,
            terms=Terms(effective_date=TODAY + dt.timedelta(days=40 + n)),
        )
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)

    list_url = reverse("agreement_list")
    with django_assert_num_queries(LIST_QUERIES):
        client.get(list_url)
    for n in range(5):
        agreement_create(
            actor=world.users["vendor_admin"],
            partner=world.partner,
            number=f"AG-X{n}",
            start=TODAY,
            end=TODAY + dt.timedelta(days=30),
            terms=Terms(effective_date=TODAY),
        )
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(list_url)
    assert len(response.context["agreements"]) == 6


# session, user, memberships, agreement, in force, pending, versions, history with its version
# ids subquery,
# and the territory / line / segment terms are read from the frozen snapshot (no queries)
DETAIL_QUERIES = 9
# session, user, memberships, count, page, the page's published versions
LIST_QUERIES = 6


def test_version_page_compares_any_two_versions(world, agreement):
    client = world.client("partner_finance")
    response = client.get(reverse("agreement_version", args=["AG-7", 2]), {"compare": "1"})
    assert response.status_code == 200
    assert "+ TW-TXG" in response.content.decode()
    assert client.get(reverse("agreement_version", args=["AG-7", 9])).status_code == 404


def test_question_from_finance(world, agreement, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("partner_finance").post(
            reverse("agreement_question", args=["AG-7"]),
            {"text": "Does Taichung include Changhua?"},
        )
    assert response.status_code == 302
    assert any("Changhua" in m.body for m in mail.outbox)


def test_termination_by_vendor_and_bad_input(world, agreement):
    client = world.client("cm_assigned")
    bad = client.post(
        reverse("agreement_terminate", args=["AG-7"]), {"reason": "", "requested": "x"}, follow=True
    )
    assert "Requested end date" in bad.content.decode()
    Agreement.objects.filter(pk=agreement.pk).update(status="active")
    response = client.post(
        reverse("agreement_terminate", args=["AG-7"]),
        {"reason": "Repeated MAP violations", "requested": TODAY.isoformat()},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.termination_requested_by == "vendor"
    assert agreement.termination_effective == TODAY + dt.timedelta(days=90)


def test_vendor_admin_proposes_new_terms(world, agreement):
    client = world.client("vendor_admin")
    url = reverse("agreement_propose", args=["AG-7"])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "effective_date": (TODAY + dt.timedelta(days=60)).isoformat(),
        "territories": ["TW-TPE"],
        "product_lines": ["NET"],
        "payment_terms_days": 60,
        "price_notice_days": 30,
        "termination_notice_days": 120,
        "review_cadence": "monthly",
        "change_summary": "Longer notice",
        "based_on": form.context["form"]["based_on"].value(),
    }
    assert data["based_on"] == 2
    response = client.post(url, data)
    assert response.status_code == 302
    latest = agreement.versions.order_by("-number").first()
    assert (latest.number, latest.status, latest.termination_notice_days) == (
        3,
        "awaiting_acceptance",
        120,
    )
    assert agreement.versions.get(number=2).status == AgreementVersion.Status.WITHDRAWN
    invalid = client.post(url, {**data, "payment_terms_days": "-1"})
    assert invalid.status_code == 200
    assert "payment_terms_days" in invalid.context["form"].errors


def test_a_second_editor_is_told_who_changed_the_draft_and_overwrites_nothing(world, agreement):
    # given two vendor admins who both opened the proposal form on version 2
    url = reverse("agreement_propose", args=["AG-7"])
    first, second = world.client("vendor_admin"), world.client("vendor_admin")
    opened = second.get(url).context["form"]["based_on"].value()
    other = VendorAdminFactory(email="mei@vendor.test", full_name="Wang Mei-ling")
    data = {
        "effective_date": (TODAY + dt.timedelta(days=60)).isoformat(),
        "payment_terms_days": 45,
        "price_notice_days": 30,
        "termination_notice_days": 90,
        "review_cadence": "quarterly",
        "based_on": opened,
    }
    # when the other admin publishes first, then the second one saves
    agreement_version_propose(
        actor=other,
        agreement=agreement,
        terms=Terms(effective_date=TODAY, payment_terms_days=30),
        based_on=opened,
    )
    response = second.post(url, {**data, "payment_terms_days": 60})

    # then the second save is refused with who and when, and nothing was overwritten
    assert response.status_code == 200
    published = agreement.versions.get(number=3).published_at
    at = timezone.localtime(published).strftime("%H:%M")
    assert (
        f"This draft was changed by {other.get_full_name()} at {at} after you opened it; "
        "reload to see their changes."
    ) in response.content.decode()
    assert agreement.versions.order_by("-number").first().number == 3
    assert agreement.versions.get(number=3).payment_terms_days == 30
    # reloading gives the new revision, and saving then works
    fresh = first.get(url).context["form"]["based_on"].value()
    assert fresh == 3
    assert first.post(url, {**data, "based_on": fresh}).status_code == 302


def test_vendor_admin_creates_an_agreement(world):
    ProductLineFactory(code="NET")
    client = world.client("vendor_admin")
    data = {
        "partner": "P-B",
        "number": "AG-NEW",
        "type": "reseller",
        "start": TODAY.isoformat(),
        "end": (TODAY + dt.timedelta(days=364)).isoformat(),
        "effective_date": TODAY.isoformat(),
        "product_lines": ["NET"],
        "payment_terms_days": 30,
        "price_notice_days": 30,
        "termination_notice_days": 90,
        "review_cadence": "quarterly",
    }
    assert client.post(reverse("agreement_create"), data).status_code == 302
    created = Agreement.objects.get(number="AG-NEW")
    assert (created.partner.code, created.status) == ("P-B", "awaiting_acceptance")
    again = client.post(reverse("agreement_create"), data)
    assert "already exists" in again.content.decode()


@pytest.fixture
def prices(world):
    line = ProductLineFactory(code="NET")
    base = PriceListFactory(code="BASE")
    for i in range(3):
        product = ProductFactory(sku=f"SW-{i}", line=line, name=f"Switch {i}")
        PriceListItemFactory(price_list=base, product=product, list_price=Decimal("1000.00"))
    formula = ProductFactory(sku="=HYPERLINK(1)", line=line, name="=cmd|' /C calc'!A0")
    PriceListItemFactory(price_list=base, product=formula, list_price=Decimal("10.00"))
    PromotionFactory(code="P5", line=line, percent=Decimal("5"), start=TODAY, end=TODAY)
    later = PriceListFactory(code="NEXT", effective_from=TODAY + dt.timedelta(days=40))
    PriceListItemFactory(price_list=later, product=product, list_price=Decimal("1100.00"))
    return world


def test_price_sheet_for_a_partner_user(prices):
    response = prices.client("partner_sales").get(reverse("price_sheet"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.product.sku for r in rows] == ["=HYPERLINK(1)", "SW-0", "SW-1", "SW-2"]
    body = response.content.decode()
    assert "How is this price derived?" in body
    assert "Promotion P5: 5% off" in body
    assert [c.sku for c in response.context["upcoming"]] == ["SW-2"]


def test_price_sheet_cells(prices):
    """Each row's amounts in its currency's digits with the code beside them, percentages
    without decimals they do not have, the derivation, and the way to question a price."""
    PriceOverrideFactory(
        partner=prices.partner, product=Product.objects.get(sku="SW-1"), discount=Decimal("30")
    )
    body = prices.client("partner_sales").get(reverse("price_sheet")).content.decode()
    row = re.search(r'<tr>\s*<td class="stack-title text-nowrap">SW-1</td>.*?</tr>', body, re.S)
    cells = re.findall(r'<td class="num[^"]*" data-label="([^"]+)"[^>]*>(.*?)</td>', row.group(0))
    assert cells == [
        ("List price", '1,000.00 <small class="text-body-secondary">TWD</small>'),
        ("Discount", "30%"),
        ("Promotion", '5% <span class="badge text-bg-info">P5</span>'),
        ("Net price", '665.00 <small class="text-body-secondary">TWD</small>'),
        ("MAP", "—"),
    ]
    assert "<li>Your agreed discount for this product: 30%.</li>" in row.group(0)
    product = Product.objects.get(sku="SW-1")
    assert f'href="{reverse("case_open")}?product={product.pk}"' in row.group(0)
    assert "%%" not in body
    assert "&lt;" not in row.group(0)
    upcoming = re.search(
        r'<tr><td class="stack-title">[0-9-]+</td><td data-label="SKU">SW-2.*?</tr>', body
    )
    assert upcoming.group(0).endswith(
        '<td class="num" data-label="List price now">1,000.00</td>'
        '<td class="num fw-semibold" data-label="New list price" data-key="net-price">'
        '1,100.00 <small class="text-body-secondary">TWD</small></td></tr>'
    )
    vendor = prices.client("vendor_admin").get(reverse("price_sheet"), {"partner": "P-A"})
    assert "Question this price" not in vendor.content.decode()
    assert "How is this price derived?" in vendor.content.decode()


def _price_row(body: str, sku: str) -> tuple[list[tuple[str, str]], list[str], str]:
    """The cells of the price sheet's row of `sku` (label and content), the steps of its
    derivation, and its product cell."""
    row = re.search(
        rf'<tr>\s*<td class="stack-title text-nowrap">{re.escape(sku)}</td>.*?</tr>', body, re.S
    ).group(0)
    cells = re.findall(r'<td class="num[^"]*" data-label="([^"]+)"[^>]*>(.*?)</td>', row)
    product = re.search(r'<td class="stack-title">\s*(.*?)\s*<details', row, re.S).group(1)
    return cells, re.findall(r"<li>(.*?)</li>", row), product


def _twd(amount: str) -> str:
    return f'{amount} <small class="text-body-secondary">TWD</small>'


def test_price_sheet_rows_in_every_state(prices):
    """Each way a net price is reached (an agreed net price, an agreed discount, the tier's
    discount for the line, the tier's default, no list price), with or without a promotion:
    the cells and the derivation of each row."""
    gold = TierFactory(
        code="sheet-gold", name="Gold", default_discount=Decimal("10"), local_name="金級"
    )
    Partner.objects.filter(pk=prices.partner.pk).update(tier=gold)
    net = ProductLineFactory(code="NET")
    net.local_name = "網路"
    net.save()
    TierLineDiscountFactory(tier=gold, line=net, percent=Decimal("25"))
    security = ProductLineFactory(code="SEC")
    firewall = ProductFactory(sku="FW-1", line=security, name="Firewall")
    PriceListItemFactory(
        price_list=PriceListFactory(code="BASE"),
        product=firewall,
        list_price=Decimal("500.00"),
        map_price=Decimal("480.00"),
    )
    ProductFactory(sku="NOPRICE", line=net, name="Unpriced")
    PriceOverrideFactory(
        partner=prices.partner,
        product=Product.objects.get(sku="SW-0"),
        discount=None,
        net_price=Decimal("800.00"),
    )
    PriceOverrideFactory(
        partner=prices.partner, product=Product.objects.get(sku="SW-1"), discount=Decimal("30")
    )
    Product.objects.filter(sku="SW-2").update(local_name="交換器 2")
    body = prices.client("partner_sales").get(reverse("price_sheet")).content.decode()
    listed = "List price 1000.00 TWD from price list BASE, in force since 2000-01-01."
    promotion = f"Promotion P5: 5% off, {TODAY:%Y-%m-%d} to {TODAY:%Y-%m-%d} (best of 1)."
    badge = '5% <span class="badge text-bg-info">P5</span>'
    expected = {
        "SW-0": (
            [_twd("1,000.00"), "20%", badge, _twd("760.00"), "—"],
            [
                listed,
                "Your agreed net price for this product: 800.00 TWD.",
                promotion,
                "Net price 760.00 TWD, rounded half-up to 2 decimals.",
            ],
            "Switch 0",
        ),
        "SW-1": (
            [_twd("1,000.00"), "30%", badge, _twd("665.00"), "—"],
            [
                listed,
                "Your agreed discount for this product: 30%.",
                promotion,
                "Net price 665.00 TWD, rounded half-up to 2 decimals.",
            ],
            "Switch 1",
        ),
        "SW-2": (
            [_twd("1,000.00"), "25%", badge, _twd("712.50"), "—"],
            [
                listed,
                "Gold tier discount for Line NET: 25%.",
                promotion,
                "Net price 712.50 TWD, rounded half-up to 2 decimals.",
            ],
            "Switch 2",
        ),
        "FW-1": (
            [_twd("500.00"), "10%", "—", _twd("450.00"), "480.00"],
            [
                "List price 500.00 TWD from price list BASE, in force since 2000-01-01.",
                "Gold tier default discount: 10%.",
                "No promotion applies.",
                "Net price 450.00 TWD, rounded half-up to 2 decimals.",
            ],
            "Firewall",
        ),
        "NOPRICE": (
            ["—", "0%", "—", "—", "—"],
            ["No list price is in force on this date."],
            "Unpriced",
        ),
    }
    labels = ["List price", "Discount", "Promotion", "Net price", "MAP"]
    for sku, (cells, steps, name) in expected.items():
        row_cells, row_steps, product = _price_row(body, sku)
        assert row_cells == list(zip(labels, cells, strict=True)), sku
        assert row_steps == steps, sku
        line = "SEC" if sku == "FW-1" else "NET"
        assert product == f'{name} <span class="small text-body-secondary">· Line {line}</span>'
    user = prices.users["partner_sales"]
    user.language = "zh-hant"
    user.save()
    chinese = prices.client("partner_sales").get(reverse("price_sheet")).content.decode()
    _cells, steps, product = _price_row(chinese, "SW-2")
    assert product == '交換器 2 <span class="small text-body-secondary">· 網路</span>'
    assert "金級" in steps[1]
    assert "網路" in steps[1]
    _cells, _steps, product = _price_row(chinese, "SW-0")
    assert product == 'Switch 0 <span class="small text-body-secondary">· 網路</span>'


def test_price_sheet_escapes_product_names(prices):
    Product.objects.filter(sku="SW-0").update(name="<b>Switch</b> & co")
    body = prices.client("partner_sales").get(reverse("price_sheet")).content.decode()
    assert "&lt;b&gt;Switch&lt;/b&gt; &amp; co" in body
    assert "<b>Switch</b>" not in body


def test_price_sheet_search_and_line_filter_and_htmx(prices):
    client = prices.client("partner_admin")
    response = client.get(reverse("price_sheet"), {"q": "switch 1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="price-table"')
    # The table alone renders no template of its own: the rows are read from the HTML.
    assert _sheet_skus(body) == ["SW-1"]
    assert client.get(reverse("price_sheet"), {"line": "NOPE"}).context["rows"] == []


def _sheet_skus(body: str) -> list[str]:
    """The SKUs of the rows of a price sheet's table in `body`."""
    return re.findall(r'<td class="stack-title text-nowrap">([^<]*)</td>', body)


def test_vendor_chooses_the_partner(prices):
    client = prices.client("cm_assigned")
    assert "rows" not in client.get(reverse("price_sheet")).context
    assert len(client.get(reverse("price_sheet"), {"partner": "P-A"}).context["rows"]) == 4
    assert client.get(reverse("price_sheet"), {"partner": "P-B"}).status_code == 404


def test_vendor_htmx_request_without_a_partner_answers_the_prompt_in_place_of_the_table(prices):
    client = prices.client("vendor_admin")
    response = client.get(reverse("price_sheet"), {"q": "switch"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith('<div id="price-table" class="card">')
    assert "Choose a partner to see its price sheet." in body
    assert "<form" not in body
    chosen = client.get(reverse("price_sheet"), {"partner": "P-A"}, HTTP_HX_REQUEST="true")
    assert chosen.content.decode().lstrip().startswith('<div id="price-table" class="card mb-4">')
    assert len(_sheet_skus(chosen.content.decode())) == 4


def test_price_sheet_queries_are_constant(prices, django_assert_num_queries):
    client = prices.client("partner_admin")
    url = reverse("price_sheet")
    client.get(url)
    with django_assert_num_queries(SHEET_PAGE_QUERIES):
        client.get(url)
    line = ProductLineFactory(code="NET")
    base = PriceListFactory(code="BASE")
    for _i in range(60):
        PriceListItemFactory(
            price_list=base, product=ProductFactory(line=line), list_price=Decimal("5.00")
        )
    with django_assert_num_queries(SHEET_PAGE_QUERIES):
        response = client.get(url)
    assert len(response.context["rows"]) == 50  # paginated
    # a later page: its products, then their prices
    with django_assert_num_queries(SHEET_PAGE_QUERIES + 1):
        later = client.get(url, {"page": 2})
    assert len(later.context["rows"]) == response.context["page_obj"].paginator.count - 50
    first = {row.product.sku for row in response.context["rows"]}
    assert first.isdisjoint(row.product.sku for row in later.context["rows"])


# session, user, memberships, product lines with the number of products and the partner's
# tier with its discount for each, the first page of products with the partner's overrides and
# their price list items, the promotions for the partner, upcoming changes with current prices
SHEET_PAGE_QUERIES = 7


def test_csv_export_is_excel_friendly_and_safe(prices):
    response = prices.client("partner_finance").get(reverse("price_export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("sku,name,line,list_price,discount,promotion")
    assert lines[1].startswith("'=HYPERLINK(1),'=cmd|")
    assert "SW-0,Switch 0,NET,1000.00," in lines[2]


def test_api_pricing(prices):
    data = prices.client("partner_sales").get(reverse("api:pricing")).json()
    assert data[1] == {
        "sku": "SW-0",
        "list_price": "1000.00",
        "discount": data[1]["discount"],
        "promotion": "5",
        "net_price": data[1]["net_price"],
        "map_price": None,
        "currency": "TWD",
    }
    vendor = prices.client("vendor_admin")
    assert vendor.get(reverse("api:pricing")).status_code == 400
    assert vendor.get(reverse("api:pricing"), {"partner": "P-A", "date": "bad"}).status_code == 400
    assert len(vendor.get(reverse("api:pricing"), {"partner": "P-A"}).json()) == 4


def test_partner_of_another_currency_sees_its_own_catalogue(world):
    hk = PartnerFactory(code="P-HK", currency="HKD")
    ProductFactory(sku="HK-1", currency="HKD")
    ProductFactory(sku="TW-1", currency="TWD")
    from agreements.pricing import price_sheet

    assert [r.product.sku for r in price_sheet(partner=hk, on=TODAY)] == ["HK-1"]


def test_price_sheet_filter_keeps_what_was_chosen(prices):
    """The filter's fields, written once per language and set of lines, hold the search typed
    (escaped), the chosen line and the price date."""
    client = prices.client("partner_admin")
    typed = '<b>"{date}"</b> & {search}'
    body = client.get(
        reverse("price_sheet"), {"q": typed, "line": "NET", "date": "2026-02-03"}
    ).content.decode()
    assert (
        'value="&lt;b&gt;&quot;{date}&quot;&lt;/b&gt; &amp; {search}" '
        'placeholder="SKU or product name"' in body
    )
    assert '<option value="NET" selected>Line NET</option>' in body
    assert 'id="id_date" value="2026-02-03"' in body
    assert '<th scope="col" class="num">Net price</th>' in body
    body = client.get(reverse("price_sheet")).content.decode()
    assert 'id="id_q" value=""' in body
    assert '<option value="NET">Line NET</option>' in body
    assert f'id="id_date" value="{TODAY.isoformat()}"' in body
    user = prices.users["partner_admin"]
    user.language = "zh-hant"
    user.save()
    body = client.get(reverse("price_sheet")).content.decode()
    assert '<option value="NET">Line NET</option>' in body
    assert '<option value="">所有產品線</option>' in body
