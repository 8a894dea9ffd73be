"""Certificates in a real browser: a partner user opens "My certificates" from the user menu and
downloads a PDF; vendor staff see the partner's certified people on its 360° page and download
one. In English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt
from pathlib import Path

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_my_certificates_and_the_partners_certified_people(
    new_page, live_server, e2e_world, locale
):
    from django.utils import timezone

    from enablement.models import Certificate, Certification

    world = e2e_world
    today = timezone.localdate()
    net = Certification.objects.create(
        code="NET-PRO", name="Networking Professional", validity_months=24
    )
    sec = Certification.objects.create(
        code="SEC-PRO", name="Security Specialist", validity_months=12
    )
    sales = world.users["partner_sales"]
    valid = Certificate.objects.create(
        user=sales,
        certification=net,
        earned=today - dt.timedelta(days=30),
        expires=today + dt.timedelta(days=40),
    )
    Certificate.objects.create(
        user=sales,
        certification=sec,
        earned=today - dt.timedelta(days=400),
        expires=today - dt.timedelta(days=35),
    )
    Certificate.objects.create(
        user=world.users["partner_admin"],
        certification=net,
        earned=today - dt.timedelta(days=10),
        expires=today + dt.timedelta(days=700),
    )

    page = new_page(locale)
    login(page, live_server, world.email("partner_sales"))
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("a.dropdown-item[href='/learning/certificates/']")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    _assert_no_critical(page, f"my certificates ({locale})")
    _shot(page, f"certificates-1-mine-{locale}")
    with page.expect_download() as download:
        page.click(f"a[href='/learning/certificates/{valid.pk}/pdf/']")
    assert download.value.suggested_filename == f"certificate-NET-PRO-{valid.pk:06d}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    vendor = new_page(locale)
    login(vendor, live_server, world.email("cm_assigned"))
    vendor.goto(f"{live_server.url}/partners/{world.partner.code}/#certified")
    section = vendor.locator("#certified")
    assert section.locator("tbody tr").count() == 2
    assert "Security Specialist" not in section.inner_text()
    _assert_no_critical(vendor, f"the 360° page with certified people ({locale})")
    section.screenshot(path=str(screenshot_path(f"certificates-2-certified-people-{locale}")))
    with vendor.expect_download() as download:
        section.locator(f"a[href='/learning/certificates/{valid.pk}/pdf/']").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
