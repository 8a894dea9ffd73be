"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

`playwright install` cannot download browsers here, so the system Chromium is launched directly.
Without it the e2e tests skip, unless PRM_REQUIRE_BROWSER=1 (CI), where they fail instead.
Failed tests leave a full-page screenshot in test-results/screenshots/<test name>.png.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
DEFAULT_LOCALE = "en-US"
TIMEOUT_MS = 10_000

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-results" / "screenshots"


def _no_browser(reason: str):
    if os.environ.get("PRM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PRM_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


def screenshot_path(name: str) -> Path:
    """A file name safe for any test id, e.g. `test_x[zh-TW]` becomes `test_x-zh-TW-.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"


# --- browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed")
    if not CHROMIUM.exists():
        _no_browser(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(request, browser):
    """Factory for pages, each in a fresh context (no cookies), for tests that need several."""
    contexts = []
    request.node.e2e_pages = []

    def make(locale: str = DEFAULT_LOCALE):
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        request.node.e2e_pages.append(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(request, new_page, live_server):
    """A page in its own browser context; the locale is "en-US" unless parametrized indirectly:
    `@pytest.mark.parametrize("page", ["zh-TW"], indirect=True)`."""
    return new_page(getattr(request, "param", DEFAULT_LOCALE))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        pages = [p for p in getattr(item, "e2e_pages", []) if not p.is_closed()]
        for index, page in enumerate(pages):
            # The first page keeps the plain test name; any further ones get a suffix.
            name = item.name if index == 0 else f"{item.name}-{index + 1}"
            try:
                path = screenshot_path(name)
                page.screenshot(path=str(path), full_page=True)
                report.sections.append(("e2e screenshot", str(path)))
            except Exception as exc:  # a screenshot must never mask the failure itself
                report.sections.append(("e2e screenshot", f"{name} not saved: {exc}"))
    return report


# --- helpers ---------------------------------------------------------------------------------


def login(page, live_server, email: str, password: str | None = None) -> None:
    """Sign in through the allauth form and wait for the page that follows."""
    from tests.factories import TEST_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", password or TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")


def logout(page) -> None:
    """Sign out through the user menu in the navbar."""
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("form[action$='/accounts/logout/'] button[type=submit]")


# --- data ------------------------------------------------------------------------------------


@dataclass
class E2EWorld:
    partner: object
    other_partner: object
    users: dict

    def email(self, role: str) -> str:
        return self.users[role].email


@pytest.fixture
def e2e_world(transactional_db) -> E2EWorld:
    """The same cast as tests/conftest.py's `world`, committed so the live server sees it, plus a
    user who belongs to both partners. Names are fixed so screenshots are comparable."""
    from partners.models import Membership
    from partners.services import partner_assign_account_manager
    from tests.factories import (
        ChannelManagerFactory,
        MembershipFactory,
        PartnerFactory,
        UserFactory,
        VendorAdminFactory,
    )

    vendor_admin = VendorAdminFactory(email="admin@vendor.test", full_name="Vera Admin")
    cm_assigned = ChannelManagerFactory(email="cm@vendor.test", full_name="Chen Manager")
    cm_unassigned = ChannelManagerFactory(email="cm2@vendor.test", full_name="Carl Spare")
    partner = PartnerFactory(code="P-A", name="Acme Trading", local_name="艾可貿易")
    other = PartnerFactory(code="P-B", name="Bravo Distribution", local_name="布拉沃經銷")
    partner_assign_account_manager(partner=partner, manager=cm_assigned, actor=vendor_admin)
    users = {
        "vendor_admin": vendor_admin,
        "cm_assigned": cm_assigned,
        "cm_unassigned": cm_unassigned,
    }
    for role, name in (("admin", "Amy Lin"), ("finance", "Fiona Wu"), ("sales", "Sam Chang")):
        user = UserFactory(email=f"{role}@a.test", full_name=name)
        MembershipFactory(user=user, partner=partner, role=role)
        users[f"partner_{role}"] = user
    other_user = UserFactory(email="admin@b.test", full_name="Ben Ho")
    MembershipFactory(user=other_user, partner=other, role=Membership.Role.ADMIN)
    users["other_partner"] = other_user
    multi = UserFactory(email="multi@ab.test", full_name="Mia Tsai")
    MembershipFactory(user=multi, partner=partner, role=Membership.Role.FINANCE)
    MembershipFactory(user=multi, partner=other, role=Membership.Role.SALES)
    users["multi_partner"] = multi
    return E2EWorld(partner=partner, other_partner=other, users=users)
