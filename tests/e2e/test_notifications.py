"""The notification centre in a real browser: the bell's unread badge, marking one read in
place (htmx), opening one, and choosing how each category arrives. In English and zh-Hant, with
screenshots and an axe pass on each page."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_read_open_and_choose_delivery(new_page, live_server, e2e_world, locale):
    from prm.notifications.models import Notification, NotificationPreference

    world = e2e_world
    user = world.users["partner_admin"]
    first = Notification.objects.create(
        recipient=user,
        category="deals",
        title="DR-000001 was approved",
        url="/deals/",
        delivery="email",
    )
    second = Notification.objects.create(
        recipient=user,
        category="payouts",
        title="Statement 2026-10 was approved",
        url="/payouts/",
        delivery="email",
    )

    page = new_page(locale)
    login(page, live_server, world.email("partner_admin"))
    page.wait_for_selector("#notification-badge .badge")
    assert page.locator("#notification-badge .badge").inner_text().startswith("2")

    with page.expect_navigation():
        page.click("#notification-bell")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]
    assert page.locator(f"#notification-{first.pk}").is_visible()
    _assert_no_critical(page, f"the notification centre ({locale})")
    _shot(page, f"notifications-1-centre-{locale}")

    # Mark one read in place: the row is swapped and the bell's badge follows.
    page.click(f"#notification-{second.pk} button[hx-post]")
    expect(page.locator("#notification-badge .badge")).to_have_text(re.compile(r"^1"))
    second.refresh_from_db()
    assert second.read_at is not None
    assert page.locator(f"#notification-{second.pk} button[hx-post]").count() == 0

    # Opening the other one goes to what it is about.
    with page.expect_navigation():
        page.click(f"#notification-{first.pk} button[name=open]")
    assert page.url.endswith("/deals/")
    first.refresh_from_db()
    assert first.read_at is not None

    # Payouts by daily digest, announcements in the portal only.
    page.goto(f"{live_server.url}/notifications/settings/")
    page.check("#id_payouts_2")
    page.check("#id_announcements_0")
    _assert_no_critical(page, f"the notification settings ({locale})")
    _shot(page, f"notifications-2-settings-{locale}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    chosen = dict(
        NotificationPreference.objects.filter(user=user).values_list("category", "delivery")
    )
    assert chosen["payouts"] == "digest"
    assert chosen["announcements"] == "in_app"
    assert chosen["deals"] == "email"
