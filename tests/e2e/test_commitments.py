"""The vendor's commitments in a real browser: a partner admin reads "Our commitments to you"
(a payout paid on day 30, a review held a day late), opens a case about the miss with the form
prefilled, and vendor staff read the record by channel manager and the partner's, with its
health on the 360° page. In English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.fixture
def record_world(e2e_world):
    from django.utils import timezone

    from tests.engagement.helpers import review, statement

    today = timezone.localdate()
    first = today.replace(month=1, day=31)
    statement(e2e_world.partner, first, paid_on=first + dt.timedelta(days=30))
    review(
        e2e_world.partner,
        scheduled=today.replace(month=2, day=10),
        held=today.replace(month=2, day=11),
    )
    return e2e_world


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_partner_reads_its_record_and_opens_a_case_about_a_miss(
    new_page, live_server, record_world, locale
):
    page = new_page(locale)
    login(page, live_server, record_world.email("partner_admin"))
    page.goto(f"{live_server.url}/commitments/")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]
    assert page.locator("tr[data-kind='payout'][data-met='yes']").count() == 1
    assert page.locator("tr[data-kind='review'][data-met='no']").count() == 1
    _assert_no_critical(page, f"the commitments page as partner admin ({locale})")
    _shot(page, f"commitments-1-partner-{locale}")

    with page.expect_navigation():
        page.click("tr[data-kind='review'] a[href^='/disputes/new/']")
    subject = page.input_value("#id_subject")
    from django.utils import timezone

    assert timezone.localdate().replace(month=2, day=10).isoformat() in subject
    assert page.input_value("#id_kind") == "other"
    _shot(page, f"commitments-2-case-form-{locale}")


@pytest.mark.parametrize("locale", list(LOCALES))
def test_vendor_staff_read_the_record_by_manager_and_partner(
    new_page, live_server, record_world, locale
):
    page = new_page(locale)
    login(page, live_server, record_world.email("vendor_admin"))
    page.goto(f"{live_server.url}/commitments/")
    assert page.locator("#month-chart").count() == 1
    assert "Chen Manager" in page.locator("#manager-table").inner_text()
    _assert_no_critical(page, f"the commitments overview ({locale})")
    _shot(page, f"commitments-3-overview-{locale}")

    with page.expect_navigation():
        page.click("#worst-table a")
    assert page.url.endswith("/commitments/partners/P-A/")
    _assert_no_critical(page, f"a partner's commitments as vendor ({locale})")

    page.goto(f"{live_server.url}/partners/P-A/")
    assert page.locator("#health-parts tr[data-part='commitments']").count() == 1
    _assert_no_critical(page, f"the 360 page with health ({locale})")
    page.locator("#health").screenshot(path=str(screenshot_path(f"commitments-4-health-{locale}")))
