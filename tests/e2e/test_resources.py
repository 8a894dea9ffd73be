"""The resource library in a real browser: a partner sales user opens it from the navigation
bar, sees what is new, searches, downloads the current version and the first one from the
resource's page; the account manager sees the download counted for the partner. In English and
zh-Hant, with screenshots and an axe pass on each page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}
V1 = b"%PDF-1.4\n% battlecard, first edition\n%%EOF\n"
V2 = b"%PDF-1.4\n% battlecard, with the FW-500 figures\n%%EOF\n"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_search_and_download_from_the_resource_library(
    new_page, live_server, e2e_world, locale, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enablement.resource_models import Resource, ResourceDownload
    from enablement.resource_services import resource_create, resource_version_add

    settings.MEDIA_ROOT = str(tmp_path)
    world = e2e_world
    vendor = world.users["vendor_admin"]

    def pdf(name, content=V1):
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    resource_create(
        actor=vendor,
        title="Switch brochure",
        local_title="交換器型錄",
        category=Resource.Category.PRODUCT_INFORMATION,
        upload=pdf("switch.pdf"),
    )
    battlecard = resource_create(
        actor=vendor,
        title="Firewall battlecard",
        local_title="防火牆競品比較卡",
        description="How our firewalls compare.",
        category=Resource.Category.COMPETITIVE_INTELLIGENCE,
        upload=pdf("battlecard.pdf"),
    )
    resource_version_add(actor=vendor, resource=battlecard, upload=pdf("battlecard-v2.pdf", V2))
    resource_create(
        actor=vendor,
        title="Campus playbook",
        category=Resource.Category.SALES_PLAYBOOK,
        language="en",
        link="https://example.com/campus",
    )
    resource_create(
        actor=vendor,
        title="Taiwan market study",
        local_title="台灣市場研究",
        category=Resource.Category.MARKET_RESEARCH,
        language="zh-hant",
        upload=pdf("market.pdf"),
    )
    resource_create(
        actor=vendor,
        title="Finance only",
        category=Resource.Category.MARKET_RESEARCH,
        for_sales=False,
        for_admin=False,
        upload=pdf("finance.pdf"),
    )
    language = LOCALES[locale]
    expected = {"en": "Campus playbook", "zh-hant": "台灣市場研究"}[language]

    page = new_page(locale)
    login(page, live_server, world.email("partner_sales"))
    page.click("#more-menu")
    with page.expect_navigation():
        page.click("a.dropdown-item[href='/resources/']")
    assert page.locator("html").get_attribute("lang") == language
    rows = page.locator("#resource-results tbody tr")
    assert rows.count() == 3
    assert expected in page.inner_text("#resource-results")
    assert "Finance only" not in page.inner_text("main")
    # A first visit: everything is new.
    assert page.locator("#resource-results .badge.text-bg-info").count() == 3
    _assert_no_critical(page, f"the resource library ({locale})")
    _shot(page, f"resources-1-library-{locale}")

    page.fill("#id_q", "防火牆" if language == "zh-hant" else "firewall")
    page.press("#id_q", "Enter")
    expect(rows).to_have_count(1)
    assert "q=" in page.url
    _assert_no_critical(page, f"the library searched ({locale})")
    _shot(page, f"resources-2-search-{locale}")
    with page.expect_download() as download:
        page.click(f"#resource-results a[href='/resources/{battlecard.pk}/download/']")
    assert download.value.suggested_filename == "battlecard-v2.pdf"
    assert Path(download.value.path()).read_bytes() == V2

    with page.expect_navigation():
        page.click(f"#resource-results a[href='/resources/{battlecard.pk}/']")
    assert page.locator("main table tbody tr").count() == 2
    _assert_no_critical(page, f"a resource's versions ({locale})")
    _shot(page, f"resources-3-versions-{locale}")
    with page.expect_download() as download:
        page.click(f"a[href='/resources/{battlecard.pk}/versions/1/download/']")
    assert Path(download.value.path()).read_bytes() == V1
    assert ResourceDownload.objects.filter(partner=world.partner).count() == 2

    manager = new_page(locale)
    login(manager, live_server, world.email("cm_assigned"))
    manager.goto(f"{live_server.url}/resources/{battlecard.pk}/#downloads")
    counts = manager.locator("#downloads tbody tr")
    assert counts.count() == 1
    assert "P-A" in counts.inner_text()
    assert counts.locator("td[data-key]").inner_text().strip() == "2"
    _assert_no_critical(manager, f"a resource's downloads by partner ({locale})")
    _shot(manager, f"resources-4-downloads-{locale}")
