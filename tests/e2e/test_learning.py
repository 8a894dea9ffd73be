"""Taking a course to a certificate in a real browser: a partner user opens Courses from the
menu, marks the modules done, fails the quiz once, passes it and downloads the certificate; the
vendor sees the rates. In English and zh-Hant, with screenshots and an axe pass on each page."""

from pathlib import Path

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}
TITLES = {"en-US": "Networking basics", "zh-TW": "網路基礎"}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_taking_a_course_to_a_certificate(new_page, live_server, e2e_world, locale):
    from enablement.models import Certificate, QuizAttempt
    from tests.enablement.learning_builders import course_build

    world = e2e_world
    course = course_build(code="NET-101")
    page = new_page(locale)
    login(page, live_server, world.email("partner_sales"))
    page.click("#more-menu")
    with page.expect_navigation():
        page.click("a.dropdown-item[href='/learning/']")
    assert page.locator("html").get_attribute("lang") == LOCALES[locale]
    _assert_no_critical(page, f"courses ({locale})")
    _shot(page, f"learning-1-courses-{locale}")

    with page.expect_navigation():
        page.click(f"a[href='/learning/course/{course.code}/']")
    assert TITLES[locale] in page.locator("h1").inner_text()
    for _ in range(course.modules.count()):
        with page.expect_navigation():
            page.locator("form[action$='/done/'] button").first.click()
    assert page.locator("form[action$='/done/']").count() == 0
    _assert_no_critical(page, f"a course with its modules done ({locale})")
    _shot(page, f"learning-2-course-{locale}")

    with page.expect_navigation():
        page.click(f"a[href='/learning/course/{course.code}/quiz/']")
    _assert_no_critical(page, f"the quiz ({locale})")
    _shot(page, f"learning-3-quiz-{locale}")
    # a wrong answer to the first question: not passed, no certificate
    first, second = course.quiz.questions.order_by("order")
    page.check(f"#c{first.choices.get(correct=False, text='Layer 1').pk}")
    for choice in second.choices.filter(correct=True):
        page.check(f"#c{choice.pk}")
    with page.expect_navigation():
        page.click("#quiz-form button[type=submit]")
    assert page.locator(".alert-warning").count() == 1
    assert not Certificate.objects.exists()

    with page.expect_navigation():
        page.click(f"a[href='/learning/course/{course.code}/quiz/']")
    page.check(f"#c{first.choices.get(correct=True).pk}")
    for choice in second.choices.filter(correct=True):
        page.check(f"#c{choice.pk}")
    with page.expect_navigation():
        page.click("#quiz-form button[type=submit]")
    certificate = Certificate.objects.get()
    assert QuizAttempt.objects.filter(passed=True).count() == 1
    assert page.locator("#certificate").count() == 1
    _assert_no_critical(page, f"a passed course ({locale})")
    _shot(page, f"learning-4-passed-{locale}")
    with page.expect_download() as download:
        page.click(f"#certificate a[href='/learning/certificates/{certificate.pk}/pdf/']")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    vendor = new_page(locale)
    login(vendor, live_server, world.email("vendor_admin"))
    vendor.goto(f"{live_server.url}/learning/courses/")
    assert "100.0%" in vendor.locator("#by-course").locator("..").inner_text()
    _assert_no_critical(vendor, f"the learning rates ({locale})")
    _shot(vendor, f"learning-5-rates-{locale}")


@pytest.mark.parametrize("locale", list(LOCALES))
def test_a_workshop_from_registration_to_attendance(new_page, live_server, e2e_world, locale):
    import datetime as dt

    from django.utils import timezone

    from enablement.models import Certificate, Workshop, WorkshopRegistration
    from tests.enablement.learning_builders import course_build

    world = e2e_world
    course = course_build(code="NET-101")
    starts = timezone.now() + dt.timedelta(days=7)
    workshop = Workshop.objects.create(
        course=course,
        title="Router lab",
        title_zh_hant="路由實作",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="Taipei office",
        capacity=1,
    )
    page = new_page(locale)
    login(page, live_server, world.email("partner_sales"))
    page.goto(f"{live_server.url}/learning/workshops/")
    with page.expect_navigation():
        page.click(f"form[action='/learning/workshops/{workshop.pk}/register/'] button")
    assert WorkshopRegistration.objects.get().status == "confirmed"
    _assert_no_critical(page, f"workshops, registered ({locale})")
    _shot(page, f"workshops-1-registered-{locale}")
    with page.expect_download() as download:
        page.click(f"a[href='/learning/workshops/{workshop.pk}/calendar.ics']")
    assert b"BEGIN:VCALENDAR" in Path(download.value.path()).read_bytes()

    # the workshop is full: the next person joins the waiting list
    admin = new_page(locale)
    login(admin, live_server, world.email("partner_admin"))
    admin.goto(f"{live_server.url}/learning/workshops/")
    with admin.expect_navigation():
        admin.click(f"form[action='/learning/workshops/{workshop.pk}/register/'] button")
    assert WorkshopRegistration.objects.get(user=world.users["partner_admin"]).status == "waiting"
    _assert_no_critical(admin, f"workshops, waiting ({locale})")

    vendor = new_page(locale)
    login(vendor, live_server, world.email("cm_assigned"))
    vendor.goto(f"{live_server.url}/learning/workshops/{workshop.pk}/attendance/")
    _assert_no_critical(vendor, f"workshop attendance ({locale})")
    registration = WorkshopRegistration.objects.get(user=world.users["partner_sales"])
    vendor.check(f"#attended-{registration.pk}")
    with vendor.expect_navigation():
        vendor.click("main form button[type=submit]")
    _shot(vendor, f"workshops-2-attendance-{locale}")
    assert Certificate.objects.get().user == world.users["partner_sales"]
