"""Announcements in a real browser: the vendor admin writes and publishes a price change, the
partner admin sees it unread, opens and acknowledges it, and the vendor sees the acknowledgement.
In English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt

import pytest
from django.utils import timezone

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_publish_read_and_acknowledge_a_price_change(new_page, live_server, e2e_world, locale):
    from partners.models import Announcement, AnnouncementRecipient

    world = e2e_world
    language = LOCALES[locale]
    deadline = timezone.localdate() + dt.timedelta(days=10)

    # The vendor admin writes the price change, previews it and publishes it to partner A.
    vendor = new_page(locale)
    login(vendor, live_server, world.email("vendor_admin"))
    vendor.goto(f"{live_server.url}/announcements/")
    assert vendor.locator("html").get_attribute("lang") == language
    with vendor.expect_navigation():
        vendor.click("main a[href='/announcements/new/']")
    vendor.fill("#id_title", "WLAN price list rises 4%")
    vendor.fill("#id_local_title", "WLAN 價目表調漲 4%")
    vendor.fill("#id_body", "List prices of the WLAN line rise by 4% next month.")
    vendor.fill("#id_local_body", "WLAN 產品線定價下月調漲 4%。")
    vendor.select_option("#id_category", "price_change")
    vendor.select_option("#id_audience", "partners")
    vendor.select_option("#id_partners", str(world.partner.pk))
    vendor.fill("#id_acknowledge_by", deadline.isoformat())
    _assert_no_critical(vendor, f"the announcement form ({locale})")
    _shot(vendor, f"announcements-1-form-{locale}")
    with vendor.expect_navigation():
        vendor.click("main button[type=submit]")
    assert vendor.locator("#audience-count").is_visible()
    _assert_no_critical(vendor, f"the announcement preview ({locale})")
    _shot(vendor, f"announcements-2-preview-{locale}")
    with vendor.expect_navigation():
        vendor.click("#publish-button")
    assert vendor.locator(".alert-success").count() >= 1
    announcement = Announcement.objects.get()
    assert announcement.published_at is not None
    assert announcement.requires_acknowledgement
    assert vendor.locator("#recipients tr.recipient-pending").count() == 1

    # The partner admin sees it unread and awaiting acknowledgement, opens it, acknowledges.
    partner = new_page(locale)
    login(partner, live_server, world.email("partner_admin"))
    partner.goto(f"{live_server.url}/announcements/")
    assert partner.locator("#unread-total").is_visible()
    assert "1" in partner.locator("#unread-total").inner_text()
    expected_title = "WLAN 價目表調漲 4%" if language == "zh-hant" else "WLAN price list rises 4%"
    assert partner.get_by_role("link", name=expected_title).is_visible()
    assert partner.locator("#announcement-feed .badge.text-bg-warning").count() == 1
    _assert_no_critical(partner, f"the announcement feed ({locale})")
    _shot(partner, f"announcements-3-feed-{locale}")
    with partner.expect_navigation():
        partner.get_by_role("link", name=expected_title).click()
    assert partner.locator("#acknowledgement").is_visible()
    _assert_no_critical(partner, f"the announcement page ({locale})")
    _shot(partner, f"announcements-4-detail-{locale}")
    with partner.expect_navigation():
        partner.click("#acknowledge-button")
    assert partner.locator("#acknowledge-button").count() == 0
    assert partner.locator("#acknowledgement.alert-success").is_visible()
    receipt = AnnouncementRecipient.objects.get(announcement=announcement)
    assert receipt.acknowledged_by == world.users["partner_admin"]
    partner.goto(f"{live_server.url}/announcements/")
    assert partner.locator("#unread-total").count() == 0
    assert partner.locator("#announcement-feed .badge.text-bg-success").count() == 1
    _shot(partner, f"announcements-5-feed-acknowledged-{locale}")

    # The vendor sees the acknowledgement, with who did it.
    vendor.reload()
    acknowledged = vendor.locator("#recipients tr.recipient-acknowledged")
    assert acknowledged.count() == 1
    assert "Amy Lin" in acknowledged.inner_text()
    assert vendor.locator("#remind-button").count() == 0
    _assert_no_critical(vendor, f"the acknowledgement tracking ({locale})")
    _shot(vendor, f"announcements-6-vendor-acknowledged-{locale}")
    vendor.goto(f"{live_server.url}/announcements/")
    assert "1" in vendor.locator("#announcement-table tbody tr").first.inner_text()
