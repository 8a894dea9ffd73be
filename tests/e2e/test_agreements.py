"""In a real browser: a vendor admin proposes new terms, the partner admin reads the
difference and accepts; the price sheet explains a row. Screenshots in English and zh-Hant."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from .conftest import login, logout, screenshot_path

pytestmark = pytest.mark.e2e


@pytest.fixture
def agreement_world(e2e_world):
    from agreements.models import PriceList, PriceListItem, Product, ProductLine
    from agreements.services.agreements import (
        Terms,
        agreement_create,
        agreement_version_accept,
    )
    from partners.models import Territory

    net = ProductLine.objects.create(code="NET", name="Networking", local_name="網路交換")
    Territory.objects.create(code="TW-TPE", name="Taipei City", local_name="臺北市")
    Territory.objects.create(code="TW-TXG", name="Taichung City", local_name="臺中市")
    today = timezone.localdate()
    agreement = agreement_create(
        actor=e2e_world.users["vendor_admin"],
        partner=e2e_world.partner,
        number="AG-100",
        start=today - dt.timedelta(days=60),
        end=today + dt.timedelta(days=300),
        terms=Terms(
            effective_date=today - dt.timedelta(days=60),
            territories=["TW-TPE"],
            product_lines=["NET"],
            termination_compensation="Repurchase of unsold stock at net price.",
        ),
    )
    first = agreement.versions.get()
    agreement_version_accept(
        actor=e2e_world.users["partner_admin"],
        version=first,
        ip="127.0.0.1",
        seen_hash=first.terms_hash,
    )
    product = Product.objects.create(
        sku="SW-24", name="24-port switch", local_name="24 埠交換器", line=net
    )
    base = PriceList.objects.create(
        code="LIST-TWD", name="List", currency="TWD", effective_from=dt.date(2000, 1, 1)
    )
    PriceListItem.objects.create(
        price_list=base,
        product=product,
        list_price=Decimal("12000.00"),
        map_price=Decimal("11000.00"),
    )
    return e2e_world


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_admin_proposes_terms_and_partner_accepts(new_page, live_server, agreement_world, language):
    from agreements.models import AgreementVersion

    locale = "zh-TW" if language == "zh-hant" else "en-US"
    vendor = new_page(locale)
    login(vendor, live_server, agreement_world.email("vendor_admin"))
    vendor.goto(f"{live_server.url}/agreements/AG-100/propose/")
    vendor.select_option("#id_territories", ["TW-TPE", "TW-TXG"])
    vendor.fill("#id_price_notice_days", "45")
    vendor.fill("#id_change_summary", "Taichung added; longer price notice.")
    with vendor.expect_navigation():
        vendor.click("main button[type=submit]")
    assert vendor.url.endswith("/agreements/AG-100/")
    assert AgreementVersion.objects.get(number=2).status == "awaiting_acceptance"
    vendor.screenshot(
        path=str(screenshot_path(f"agreement-proposed-vendor-{language}")), full_page=True
    )

    partner = new_page(locale)
    login(partner, live_server, agreement_world.email("partner_admin"))
    partner.goto(f"{live_server.url}/agreements/AG-100/")
    assert partner.locator("html").get_attribute("lang") == language
    changed = partner.locator("tr.term-changed")
    assert changed.count() == 3  # effective date, territories and price-change notice
    assert partner.locator(".diff-added", has_text="TW-TXG").is_visible()
    partner.screenshot(
        path=str(screenshot_path(f"agreement-diff-partner-{language}")), full_page=True
    )

    partner.check("#confirm-read")
    with partner.expect_navigation():
        partner.click("#accept-version")
    assert partner.locator(".alert-success").is_visible()
    version = AgreementVersion.objects.get(number=2)
    assert version.status == "accepted"
    assert version.accepted_by == agreement_world.users["partner_admin"]
    assert version.accepted_ip == "127.0.0.1"
    partner.screenshot(
        path=str(screenshot_path(f"agreement-accepted-partner-{language}")), full_page=True
    )
    logout(partner)


def test_price_sheet_explains_a_row(page, live_server, agreement_world):
    login(page, live_server, agreement_world.email("partner_sales"))
    page.goto(f"{live_server.url}/pricing/")
    assert page.locator("#price-table tbody tr").count() == 1
    page.click("#price-table details summary")
    steps = page.locator("#price-table details ol li")
    assert steps.first.inner_text().startswith("List price 12000.00 TWD")
    page.screenshot(path=str(screenshot_path("price-sheet-en")), full_page=True)
    page.fill("#id_q", "nothing-matches")
    page.wait_for_selector("text=No product matches.")
