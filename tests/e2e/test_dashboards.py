"""Both dashboards in a real browser, in English and zh-Hant: the vendor admin's "needs you today"
and the partner admin's overview, with screenshots and an axe pass that must find nothing."""

import pytest
from django.utils import timezone

from .conftest import login, screenshot_path
from .test_layout import MEASURE

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


@pytest.fixture
def seeded(e2e_world):
    from tests.core.dashboard_data import seed_partner

    now = timezone.now()
    seed_partner(
        e2e_world.partner,
        now=now,
        raised_by=e2e_world.users["partner_sales"],
        reader=e2e_world.users["partner_admin"],
    )
    seed_partner(e2e_world.other_partner, now=now, review_overdue=True)
    return e2e_world


def _axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


def _assert_accessible(page, where: str) -> None:
    violations = _axe_violations(page)
    assert not violations, f"axe on {where}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    )


@pytest.mark.parametrize("locale", list(LOCALES))
def test_vendor_admin_dashboard(new_page, live_server, seeded, locale):
    page = new_page(locale)
    login(page, live_server, seeded.email("vendor_admin"))
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]

    tiles = page.locator("#needs-you-today li")
    assert tiles.count() == 13
    assert page.locator("#tile-breached .stat-value").inner_text().strip() == "4"
    assert page.locator("#tile-breached a").get_attribute("href") == "/disputes/?status=breached"
    assert page.locator("#tile-deals .stat-value").inner_text().strip() == "4"
    assert page.locator("#tile-protection_claims .stat-value").inner_text().strip() == "2"
    assert page.locator("#tile-protection_claims a").get_attribute("href") == "/funds/protection/"
    assert page.locator("#breached-cases tbody tr").count() == 4
    chart = page.locator("svg#age-chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("text.chart-value").count() == 5
    assert page.locator("#age-table").count() == 1
    assert page.locator("#action-items li").count() == 4
    assert page.locator("main h1").count() == 1
    if locale == "en-US":
        assert page.get_by_role("heading", name="Needs you today").is_visible()
        assert "cases past an SLA deadline" in page.locator("#tile-breached").inner_text()
    page.screenshot(path=str(screenshot_path(f"dashboard-vendor-{locale}")), full_page=True)
    _assert_accessible(page, f"the vendor dashboard ({locale})")

    with page.expect_navigation():
        page.click("#tile-breached a")
    assert page.url.endswith("/disputes/?status=breached")
    assert page.locator("tbody tr").count() == 4


@pytest.mark.parametrize("locale", list(LOCALES))
def test_partner_admin_dashboard(new_page, live_server, seeded, locale):
    page = new_page(locale)
    login(page, live_server, seeded.email("partner_admin"))
    page.goto(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]

    assert page.locator("main h1").inner_text() == (
        "Acme Trading" if locale == "en-US" else "艾可貿易"
    )
    assert page.locator("#tile-cases .stat-value").inner_text().strip() == "3"
    assert page.locator("#tile-announcements .stat-value").inner_text().strip() == "1"
    assert page.locator("#open-cases li").count() == 3
    trend = page.locator("svg#payout-trend")
    assert trend.get_attribute("role") == "img"
    assert trend.locator("rect").count() == 3
    assert page.locator("#payout-trend-table td").count() == 3
    assert "Taipei office" in page.locator("#next-review").inner_text()
    assert page.locator("#unread-announcements li").count() == 1
    assert page.locator("#awaiting-acknowledgement li").count() == 1
    assert page.locator("#action-items li").count() == 2
    content = page.content()
    assert "Bravo" not in content
    assert "P-B" not in content
    if locale == "en-US":
        assert page.get_by_role("heading", name="Payout trend").is_visible()
        assert "overdue by" in page.locator("#open-cases").inner_text()
    for width in (1280, 1100, 390):
        # The review card's action items follow its details with no empty block above them.
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(MEASURE)["gaps"] == [], width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(screenshot_path(f"dashboard-partner-{locale}")), full_page=True)
    _assert_accessible(page, f"the partner dashboard ({locale})")
