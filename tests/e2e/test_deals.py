"""Deal registration in a real browser: a partner's sales user registers a deal, the channel
manager approves it with a reason, and the partner sees it protected. In English and zh-Hant,
with screenshots of each step."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from .conftest import login, screenshot_path

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


@pytest.fixture
def catalogue(e2e_world):
    from tests.partners.factories import DealLineFactory, TerritoryFactory

    TerritoryFactory(code="TW-TPE", name="Taipei City", local_name="臺北市")
    DealLineFactory(code="NET", name="Networking", local_name="網路")
    DealLineFactory(code="SEC", name="Security", local_name="資訊安全")
    return e2e_world


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_register_approve_and_see_the_protection(new_page, live_server, catalogue, locale):
    world = catalogue
    language = LOCALES[locale]
    close = timezone.localdate() + dt.timedelta(days=45)

    # The partner's sales user registers the deal.
    partner = new_page(locale)
    login(partner, live_server, world.email("partner_sales"))
    partner.goto(f"{live_server.url}/deals/")
    assert partner.locator("html").get_attribute("lang") == language
    with partner.expect_navigation():
        partner.click("main a[href='/deals/new/']")
    partner.fill("#id_customer_name", "台灣積體電路製造股份有限公司")
    partner.fill("#id_customer_tax_id", "22099131")
    partner.select_option("#id_territory", "TW-TPE")
    partner.check("input[name=product_lines][value=NET]")
    partner.fill("#id_estimated_value", "4800000")
    partner.fill("#id_expected_close", close.isoformat())
    partner.fill("#id_description", "Campus core refresh")
    _shot(partner, f"deals-1-register-form-{locale}")
    with partner.expect_navigation():
        partner.click("main button[type=submit]")
    deal_url = partner.url
    assert "/deals/" in deal_url
    assert deal_url.rstrip("/").split("/")[-1].isdigit()
    assert partner.locator(".alert-success").count() == 1
    assert partner.locator("#protection").count() == 0
    if language == "en":
        assert partner.get_by_text("was registered and is waiting for review").is_visible()
    _shot(partner, f"deals-2-registered-{locale}")

    # The channel manager approves it with a reason.
    manager = new_page(locale)
    login(manager, live_server, world.email("cm_assigned"))
    manager.goto(f"{live_server.url}/deals/")
    row = manager.locator("#deal-table tbody tr").first
    assert "P-A" in row.inner_text()
    _shot(manager, f"deals-3-manager-list-{locale}")
    with manager.expect_navigation():
        row.locator("a").first.click()
    assert manager.url == deal_url
    manager.fill("#decision_reason", "The customer confirmed Acme as its implementation partner.")
    _shot(manager, f"deals-4-manager-decide-{locale}")
    with manager.expect_navigation():
        manager.click("#approve-button")
    assert manager.locator(".alert-success").count() >= 1
    assert manager.locator("#protection").is_visible()

    # The partner sees the deal protected, with the reason.
    partner.goto(deal_url)
    protection = partner.locator("#protection")
    assert protection.is_visible()
    with translation.override(language):
        expected_date = date_format(timezone.localdate() + dt.timedelta(days=90))
    assert expected_date in protection.inner_text()
    if language == "en":
        assert f"Protected until {expected_date}" in protection.inner_text()
    assert "implementation partner" in partner.locator("#decision-reason").inner_text()
    _shot(partner, f"deals-5-partner-protected-{locale}")

    partner.goto(f"{live_server.url}/deals/")
    assert partner.locator("#deal-table tbody tr").count() == 1
    _shot(partner, f"deals-6-partner-list-{locale}")


def test_a_second_partner_is_flagged_without_seeing_who(new_page, live_server, catalogue):
    from agreements.models import ProductLine
    from partners.models import Territory
    from partners.services import deal_register

    world = catalogue
    deal_register(
        partner=world.partner,
        actor=world.users["partner_sales"],
        customer_name="Taiwan Semiconductor Manufacturing Co., Ltd.",
        customer_tax_id="22-099-131",
        territory=Territory.objects.get(code="TW-TPE"),
        product_lines=[ProductLine.objects.get(code="NET")],
        estimated_value=Decimal("100000"),
        currency="TWD",
        expected_close=timezone.localdate() + dt.timedelta(days=20),
    )
    rival = new_page()
    login(rival, live_server, world.email("other_partner"))
    rival.goto(f"{live_server.url}/deals/new/")
    rival.fill("#id_customer_name", "台灣積體電路製造")
    rival.fill("#id_customer_tax_id", "22099131")
    rival.select_option("#id_territory", "TW-TPE")
    rival.check("input[name=product_lines][value=NET]")
    rival.fill("#id_estimated_value", "99000")
    rival.fill("#id_expected_close", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    with rival.expect_navigation():
        rival.click("main button[type=submit]")

    assert rival.locator(".alert-warning").first.is_visible()
    assert rival.get_by_text("Another partner's registration").is_visible()
    content = rival.content()
    assert "Acme" not in content
    assert "P-A" not in content
    assert "艾可" not in content
    _shot(rival, "deals-conflict-partner-view")

    manager = new_page()
    login(manager, live_server, world.email("vendor_admin"))
    manager.goto(rival.url)
    assert manager.get_by_role("link", name="Acme Trading").first.is_visible()
    _shot(manager, "deals-conflict-vendor-view")
