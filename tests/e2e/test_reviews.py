"""Business reviews in a real browser: the channel manager finds the scheduled review and moves
it, the partner admin adds an action item and ticks it off without a page reload. In English
and zh-Hant, with screenshots of each step and an axe pass on the review page."""

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
def test_reschedule_then_add_and_tick_an_action_item(new_page, live_server, e2e_world, locale):
    from partners.models import BusinessReview
    from partners.services import review_schedule_next

    world = e2e_world
    language = LOCALES[locale]
    review = review_schedule_next(world.partner)
    new_day = timezone.localdate() + dt.timedelta(days=30)
    while new_day.weekday() >= 5:
        new_day += dt.timedelta(days=1)

    # The channel manager finds the review in the list and moves it.
    manager = new_page(locale)
    login(manager, live_server, world.email("cm_assigned"))
    manager.goto(f"{live_server.url}/reviews/")
    assert manager.locator("html").get_attribute("lang") == language
    row = manager.locator("#review-table tbody tr").first
    assert "P-A" in row.inner_text()
    _shot(manager, f"reviews-1-manager-list-{locale}")
    with manager.expect_navigation():
        row.locator("a").first.click()
    assert manager.url.endswith(f"/reviews/{review.pk}/")
    manager.fill("#reschedule_date", new_day.isoformat())
    manager.fill("#reschedule_time", "14:30")
    manager.fill("#reschedule_duration_minutes", "90")
    manager.fill("#reschedule_location", "https://meet.example.com/acme-qbr")
    _shot(manager, f"reviews-2-manager-reschedule-{locale}")
    with manager.expect_navigation():
        manager.click("#reschedule-button")
    assert manager.locator(".alert-success").count() >= 1
    assert "meet.example.com/acme-qbr" in manager.locator("#review-location").inner_text()
    review.refresh_from_db()
    assert review.sequence == 1
    local = timezone.localtime(review.scheduled_at)
    assert (local.date(), local.time()) == (new_day, dt.time(14, 30))
    _assert_no_critical(manager, f"the review page as vendor ({locale})")
    _shot(manager, f"reviews-3-manager-moved-{locale}")

    # The partner admin adds an action item for a colleague and ticks it off in place.
    partner = new_page(locale)
    login(partner, live_server, world.email("partner_admin"))
    partner.goto(f"{live_server.url}/reviews/{review.pk}/")
    assert partner.locator("#reschedule-form").count() == 0
    partner.fill("#item_title", "Share the Q3 pipeline forecast")
    partner.select_option("#item_owner", str(world.users["partner_sales"].pk))
    partner.fill("#item_due_on", (timezone.localdate() + dt.timedelta(days=10)).isoformat())
    with partner.expect_navigation():
        partner.click("#action-item-form button[type=submit]")
    item = review.action_items.get()
    row = partner.locator(f"#action-item-{item.pk}")
    assert "Share the Q3 pipeline forecast" in row.inner_text()
    assert row.locator("button[aria-pressed=false]").count() == 1
    _shot(partner, f"reviews-4-partner-item-added-{locale}")

    url_before = partner.url
    row.locator("button.action-toggle").click()
    partner.locator(f"#action-item-{item.pk} button[aria-pressed=true]").wait_for()
    assert partner.url == url_before  # swapped in place, no navigation
    assert partner.locator(f"#action-item-{item.pk} .action-done").count() == 1
    item.refresh_from_db()
    assert item.done_by == world.users["partner_admin"]
    _assert_no_critical(partner, f"the review page as partner admin ({locale})")
    _shot(partner, f"reviews-5-partner-item-ticked-{locale}")

    # The manager sees the item ticked and the review still scheduled.
    manager.goto(f"{live_server.url}/reviews/{review.pk}/")
    assert manager.locator(f"#action-item-{item.pk} button[aria-pressed=true]").count() == 1
    assert BusinessReview.objects.get(pk=review.pk).status == "scheduled"
