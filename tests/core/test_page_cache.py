"""The page cache of the heaviest pages: served again only while nothing changed, per session,
language, organisation and URL; access is checked on every request."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prm.core import page_cache
from prm.core.events import event_record

pytestmark = pytest.mark.django_db

PAGES = [
    "dashboard",
    "partner_list",
    "deal_list",
    "price_sheet",
    "announcement_list",
    "case_list",
    "review_list",
    "agreement_list",
]


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PRM_PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured)


def test_a_second_visit_is_served_from_the_cache(world):
    client = world.client("vendor_admin")
    first, rendered = _queries(client, reverse("dashboard"))
    second, cached = _queries(client, reverse("dashboard"))
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert cached < rendered
    assert cached <= 4  # session, user, the data version, and nothing about the page


def test_any_recorded_change_renders_afresh(world):
    client = world.client("vendor_admin")
    client.get(reverse("dashboard"))
    assert client.get(reverse("dashboard")).context is None
    event_record(
        actor=world.users["vendor_admin"],
        verb="partner.status_changed",
        target=world.partner,
        partner=world.partner,
        before={"status": "active"},
        after={"status": "suspended"},
        reason="Audit",
    )
    response = client.get(reverse("dashboard"))
    assert response.context is not None
    assert client.get(reverse("dashboard")).context is None


def test_the_minute_turning_renders_afresh(world, monkeypatch):
    now = timezone.now().replace(second=0, microsecond=0)
    monkeypatch.setattr(page_cache.timezone, "now", lambda: now)
    client = world.client("partner_admin")
    client.get(reverse("dashboard"))
    assert client.get(reverse("dashboard")).context is None  # from the cache
    monkeypatch.setattr(page_cache.timezone, "now", lambda: now + dt.timedelta(minutes=1))
    assert client.get(reverse("dashboard")).context is not None  # rendered


def test_sessions_do_not_share_pages(world):
    first = world.client("partner_admin")
    first.get(reverse("dashboard"))
    again = Client()
    again.force_login(world.users["partner_admin"])
    assert again.get(reverse("dashboard")).context is not None
    other = world.client("other_partner")
    page = other.get(reverse("dashboard")).content.decode()
    assert world.partner.name not in page


@pytest.mark.parametrize("name", PAGES)
def test_each_page_is_cached_per_language(world, name):
    client = world.client("vendor_admin")
    english = client.get(reverse(name))
    assert english.status_code == 200
    assert client.get(reverse(name)).context is None
    client.cookies["django_language"] = "zh-hant"
    chinese = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert chinese.context is not None
    assert chinese.content != english.content


def test_access_is_checked_before_the_cache(world):
    client = world.client("partner_finance")
    assert client.get(reverse("deal_list")).status_code == 403
    assert client.get(reverse("deal_list")).status_code == 403


def test_a_page_with_a_flash_message_is_not_cached(world):
    client = world.client("vendor_admin")
    client.post(reverse("notification_read_all"))  # leaves a success message
    with_message = client.get(reverse("dashboard"))
    assert "All notifications are marked read" in with_message.content.decode()
    after = client.get(reverse("dashboard"))
    assert after.context is not None  # the page with the message was not stored
    assert "All notifications are marked read" not in after.content.decode()


def test_htmx_partials_and_pages_are_kept_apart(world):
    client = world.client("vendor_admin")
    page = client.get(reverse("partner_list"))
    partial = client.get(reverse("partner_list"), HTTP_HX_REQUEST="true")
    assert partial.context is not None
    assert len(partial.content) < len(page.content)
