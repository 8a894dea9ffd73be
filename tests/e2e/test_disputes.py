"""In a real browser, in English and in Traditional Chinese: a partner disputes a statement line,
the channel manager answers and resolves it with an adjustment, and the partner sees the
adjustment and rates the resolution; the vendor's report draws its charts beside its tables.

Selectors use ids, names and links; the words checked on a page are the translations of the
portal's own strings (gettext under the page's language), so a missing translation still reads
the same on the page and in the test."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from .conftest import login, logout, screenshot_path

pytestmark = pytest.mark.e2e

LOCALES = {"en": "en-US", "zh-hant": "zh-TW"}


def _t(language: str, message: str, **values) -> str:
    """`message` as the page shows it in `language`."""
    with translation.override(language):
        text = str(translation.gettext(message))
    return text % values if values else text


def _label(language: str, choice) -> str:
    with translation.override(language):
        return str(choice.label)


def _watch(page, errors: list) -> None:
    """Collect script errors, console errors (a CSP refusal is one) and failed responses."""
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda response: errors.append(response.url) if response.status >= 400 else None,
    )


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


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


@pytest.mark.parametrize("language", list(LOCALES))
def test_dispute_a_line_answer_resolve_with_an_adjustment_and_rate(
    new_page, live_server, e2e_world, statement_line, language
):
    from disputes.models import Case

    locale = LOCALES[language]
    page = new_page(locale)
    errors = []
    _watch(page, errors)
    # the partner's finance user disputes the line from the statement
    login(page, live_server, e2e_world.email("partner_finance"))
    page.goto(f"{live_server.url}/payouts/{statement_line.statement_id}/")
    assert page.locator("html").get_attribute("lang") == language
    with page.expect_navigation():
        page.click(f"main a[href$='/disputes/new/?line={statement_line.pk}']")
    page.fill("#id_subject", "Line 1 misses invoice E-9")
    page.fill("#id_description", "Invoice E-9 of 1,000.00 is not counted.")
    _shot(page, f"dispute-1-open-{language}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    case = Case.objects.get()
    assert case.statement_line_id == statement_line.pk
    assert page.locator("#case-status").inner_text() == _label(language, Case.Status.OPEN)
    # the deadlines count down on the partner's side too
    left = _t(language, "%(time)s left").replace("%(time)s", "").strip()
    assert left in page.locator("[data-deadline]").first.inner_text()
    _shot(page, f"dispute-2-opened-{language}")
    later = new_page(locale)
    # a month from now in the browser's clock: the script turns the countdown into "overdue"
    later.add_init_script("Date.now = ((n) => () => n + 30 * 86400e3)(Date.now());")
    login(later, live_server, e2e_world.email("partner_finance"))
    later.goto(f"{live_server.url}/disputes/")
    overdue = _t(language, "overdue by %(time)s").replace("%(time)s", "").strip()
    assert overdue in later.locator("[data-deadline]").first.inner_text()
    logout(page)

    # the channel manager answers, leaves an internal note, and resolves with an adjustment
    login(page, live_server, e2e_world.email("cm_assigned"))
    page.goto(f"{live_server.url}/disputes/")
    with page.expect_navigation():
        page.click(f"main a[href='/disputes/{case.pk}/']")
    page.fill("#id_body", "Internal: E-9 was booked late")
    page.check("#id_internal")
    with page.expect_navigation():
        page.click("#send-message")
    page.fill("#id_body", "You are right, we will credit it.")
    with page.expect_navigation():
        page.click("#send-message")
    page.fill("#id_resolution", "Commission on E-9 credited.")
    page.fill("#id_adjustment_amount", "50.00")
    _shot(page, f"dispute-3-vendor-resolves-{language}")
    with page.expect_navigation():
        page.click("#resolve-case")
    assert page.locator("#case-status").inner_text() == _label(language, Case.Status.RESOLVED)
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
    rated = _t(language, "Rated %(rating)s of 5", rating=5)
    assert rated in page.locator("#case-rating").inner_text()
    _shot(page, f"dispute-4-partner-rated-{language}")

    # the adjustment is on the partner's next draft statement, which links back to the case
    case.refresh_from_db()
    statement = case.adjustment.statement
    assert statement is not None
    assert statement.status == "draft"
    with page.expect_navigation():
        page.click(f"#case-adjustment a[href='/payouts/{statement.pk}/']")
    assert page.locator(f"main a[href='/disputes/{case.pk}/']").first.is_visible()
    assert "50.00" in page.locator("main").inner_text()
    _shot(page, f"dispute-5-partner-statement-{language}")

    assert errors == []
    assert case.rating == 5
    assert case.adjustment.amount == Decimal("50.00")
    assert case.adjustment.source_url == f"/disputes/{case.pk}/"


@pytest.fixture
def reported_cases(e2e_world):
    """Cases of several ages, one answered late and one resolved and rated, for the report."""
    from disputes.models import Case
    from disputes.services import case_message_add, case_open, case_rate, case_resolve

    now = timezone.now()
    partner_admin = e2e_world.users["partner_admin"]
    cm = e2e_world.users["cm_assigned"]

    def open_case(subject: str, days_old: float, **extra):
        case = case_open(
            actor=partner_admin,
            partner=e2e_world.partner,
            kind="other",
            subject=subject,
            description="?",
            now=now - dt.timedelta(days=days_old),
            **extra,
        )
        Case.objects.filter(pk=case.pk).update(created_at=now - dt.timedelta(days=days_old))
        return case

    open_case("Fresh", 0.1)
    for index in range(3):
        open_case(f"Five days {index}", 5)
    late = open_case("Answered late", 20)
    case_message_add(case=late, actor=cm, body="Sorry for the wait", now=now)
    for rating in (5, 4, 4):
        done = open_case(f"Done {rating}", 30)
        case_message_add(case=done, actor=cm, body="Looking", now=now - dt.timedelta(days=30))
        case_resolve(case=done, actor=cm, resolution="Explained", now=now - dt.timedelta(days=25))
        case_rate(case=done, actor=partner_admin, rating=rating)
    return e2e_world


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_report_draws_charts_beside_its_tables(new_page, live_server, reported_cases, language):
    from disputes.views import AGE_LABELS

    page = new_page(LOCALES[language])
    errors = []
    _watch(page, errors)
    login(page, live_server, reported_cases.email("cm_assigned"))
    page.goto(f"{live_server.url}/disputes/report/")
    assert page.locator("html").get_attribute("lang") == language

    ages = page.locator("#ages-chart")
    assert ages.get_attribute("role") == "img"
    title = _t(language, "Open cases by age")
    assert page.get_by_role("img", name=title).count() == 1
    bars = ages.locator(".chart-bar")
    assert bars.count() == 5
    with translation.override(language):
        label = str(AGE_LABELS["3_to_7"])
    five_days = ages.locator(f".chart-bar[data-label='{label}']")
    assert five_days.locator(".chart-value").text_content() == "3"
    assert five_days.locator(".chart-label").text_content() == label
    # the tallest bar is the 3–7 days band, and the same figures are in the table beside it
    heights = [int(bars.nth(i).locator("rect").get_attribute("height")) for i in range(5)]
    assert max(heights) == heights[2]
    assert page.locator("#case-ages tbody td").nth(2).inner_text() == "3"

    sla = page.locator("#sla-chart")
    (group,) = sla.locator(".chart-group").all()
    assert group.get_attribute("data-heading") == "Chen Manager"
    response, resolution = group.locator(".chart-bar").all()
    # first responses: 3 on time, 1 late, 3 still unanswered past the deadline, 1 not yet due;
    # resolutions: 3 on time, 1 unresolved past the deadline, 4 not yet due
    assert response.get_attribute("data-value") == "43"
    assert response.locator(".chart-value").text_content().startswith("43%")
    assert resolution.get_attribute("data-value") == "75"

    ratings = page.locator("#ratings-chart .chart-bar")
    assert ratings.count() == 5
    assert [ratings.nth(i).get_attribute("data-value") for i in range(5)] == [
        "0",
        "0",
        "0",
        "2",
        "1",
    ]
    _shot(page, f"dispute-report-{language}")
    assert errors == []
