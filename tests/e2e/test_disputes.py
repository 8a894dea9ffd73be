"""In a real browser: a partner disputes a statement line, the channel manager answers and
resolves it with an adjustment, and the partner sees the adjustment and rates the resolution."""

import datetime as dt
from decimal import Decimal

import pytest

from .conftest import login, logout, screenshot_path

pytestmark = pytest.mark.e2e


@pytest.fixture
def statement_line(e2e_world):
    from commissions.models import Statement, StatementLine

    statement = Statement.objects.create(
        partner=e2e_world.partner,
        period="2026-10",
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        currency="TWD",
        total=Decimal("1200.00"),
    )
    return StatementLine.objects.create(
        statement=statement,
        position=1,
        kind="rule",
        description="Networking: 24,000.00 × 5% = 1,200.00",
        amount=Decimal("1200.00"),
    )


def test_dispute_a_line_answer_resolve_with_an_adjustment_and_rate(
    new_page, live_server, e2e_world, statement_line
):
    from disputes.models import Case

    page = new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: errors.append(response.url) if response.status >= 400 else None,
    )
    # the partner's finance user disputes the line from the statement
    login(page, live_server, e2e_world.email("partner_finance"))
    page.goto(f"{live_server.url}/payouts/{statement_line.statement_id}/")
    with page.expect_navigation():
        page.click("text=Dispute this line")
    page.fill("#id_subject", "Line 1 misses invoice E-9")
    page.fill("#id_description", "Invoice E-9 of 1,000.00 is not counted.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    case = Case.objects.get()
    assert case.statement_line_id == statement_line.pk
    assert page.locator("#case-status").inner_text() == "Open"
    # the deadlines count down on the partner's side too
    assert "left" in page.locator("[data-deadline]").first.inner_text()
    later = new_page()
    # a month from now in the browser's clock: the script turns the countdown into "overdue"
    later.add_init_script("Date.now = ((n) => () => n + 30 * 86400e3)(Date.now());")
    login(later, live_server, e2e_world.email("partner_finance"))
    later.goto(f"{live_server.url}/disputes/")
    assert "overdue by" in later.locator("[data-deadline]").first.inner_text()
    logout(page)

    # the channel manager answers, leaves an internal note, and resolves with an adjustment
    login(page, live_server, e2e_world.email("cm_assigned"))
    page.goto(f"{live_server.url}/disputes/")
    with page.expect_navigation():
        page.click(f"text={case.number}")
    page.fill("#id_body", "Internal: E-9 was booked late")
    page.check("#id_internal")
    with page.expect_navigation():
        page.click("#send-message")
    page.fill("#id_body", "You are right, we will credit it.")
    with page.expect_navigation():
        page.click("#send-message")
    page.fill("#id_resolution", "Commission on E-9 credited.")
    page.fill("#id_adjustment_amount", "50.00")
    with page.expect_navigation():
        page.click("#resolve-case")
    assert page.locator("#case-status").inner_text() == "Resolved"
    logout(page)

    # the partner sees the answer and the adjustment, not the internal note, and rates it
    login(page, live_server, e2e_world.email("partner_finance"))
    page.goto(f"{live_server.url}/disputes/{case.pk}/")
    thread = page.locator("#case-thread").inner_text()
    assert "You are right, we will credit it." in thread
    assert "booked late" not in page.content()
    assert "50.00" in page.locator("#case-adjustment").inner_text()
    page.select_option("#id_rating", "5")
    page.fill("#id_comment", "Quick and clear")
    with page.expect_navigation():
        page.click("form[action$='/rate/'] button[type=submit]")
    assert "Rated 5 of 5" in page.locator("#case-rating").inner_text()
    page.screenshot(path=str(screenshot_path("dispute-resolved")), full_page=True)

    assert errors == []
    case.refresh_from_db()
    assert case.rating == 5
    assert case.adjustment.amount == Decimal("50.00")
    assert case.adjustment.source_url == f"/disputes/{case.pk}/"
