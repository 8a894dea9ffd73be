"""Every page fits its window: at 1280×800 and on a 390×844 phone, in English and zh-Hant, for
every role that may open it, no page is wider than the window, no table needs scrolling sideways
and the key figures (`[data-key]`: net price, amount, total, status) stay in view.

The pages are the GET pages of the access matrix (`tests/access/matrix*.py`), opened on the demo
data (`seed_demo`), which has realistic names and amounts in both languages. A page added to the
matrix must be added to PAGES below (or to NOT_PAGES, with the reason), or
`test_every_matrix_page_is_measured` fails. Screenshots of the statement, the price sheet, the
directory and both dashboards are left in test-results/layout/.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse

from tests.access.base import Entry
from tests.access.matrix import MATRIX

from .conftest import ROOT, TIMEOUT_MS

pytestmark = pytest.mark.e2e

WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LANGUAGES = {"en": "en-US", "zh-hant": "zh-TW"}
SCREENSHOTS = ROOT / "test-results" / "layout"

# Matrix GET entries that are not pages a person reads in the portal's layout.
NOT_PAGES = {
    "health": "a JSON health check",
    "schema": "the OpenAPI document",
    "api-docs": "Swagger UI, a third-party page",
    "price_export": "a CSV download",
    "statement_export": "a CSV download",
    "statement_export_xlsx": "an Excel download",
    "statement_pdf": "a PDF download",
    "statement_line_sales_export": "a CSV download",
    "sales_import_rejected": "a CSV download",
    "case_attachment": "a file download",
    "fund_claim_file": "a file download",
    "review_calendar": "an iCalendar download",
    "certificate_pdf": "a PDF download",
    "learning_module_file": "a file download",
    "workshop_calendar": "an iCalendar download",
    "resource_download": "a file download",
    "resource_version_download": "a file download",
    "notification_badge": "an htmx fragment inside the navigation bar",
    "statement_line_sales": "an htmx fragment, measured opened inside the statement page",
    "statement_unmatched_sales": "an htmx fragment inside the statement page",
    "invitation_accept": "a one-time key; it shares the sign-in page's layout, which is measured",
}


@dataclass
class Demo:
    """The demo objects the pages are opened on (partner P-FORMOSA's, where one is needed)."""

    partner: object
    agreement: object
    statement: object
    case: object
    announcement: object
    draft_announcement: object | None
    review: object
    deal: object
    batch: object
    recompute: object
    fund_request: object
    fund_claimable: object
    resource: object
    protection_open: object = None
    protection_submitted: object = None
    course: object = None
    workshop: object = None
    board_post: object = None
    hidden_post: object = None
    purchase_import: object = None
    payment_import: object = None
    manager: object = None


def _path(name: str, query: str = "", **kwargs) -> str:
    return reverse(name, kwargs=kwargs or None) + query


def _code(d: Demo) -> dict:
    return {"code": d.partner.code}


# URL name → the paths to open (several where one page has variants, e.g. a version compare).
PAGES: dict[str, Callable[[Demo], list[str]]] = {
    "dashboard": lambda d: [_path("dashboard")],
    "partner_list": lambda d: [_path("partner_list")],
    "partner_create": lambda d: [_path("partner_create")],
    "partner_detail": lambda d: [_path("partner_detail", **_code(d))],
    "target_list": lambda d: [_path("target_list", **_code(d))],
    "profile": lambda d: [_path("profile")],
    "deal_list": lambda d: [_path("deal_list")],
    "deal_create": lambda d: [_path("deal_create")],
    "deal_detail": lambda d: [_path("deal_detail", pk=d.deal.pk)],
    "agreement_list": lambda d: [_path("agreement_list")],
    "agreement_create": lambda d: [_path("agreement_create")],
    "agreement_detail": lambda d: [_path("agreement_detail", number=d.agreement.number)],
    "agreement_version": lambda d: [
        _path("agreement_version", number=d.agreement.number, version=1),
        _path("agreement_version", "?compare=1", number=d.agreement.number, version=2),
    ],
    "agreement_propose": lambda d: [_path("agreement_propose", number=d.agreement.number)],
    "price_sheet": lambda d: [_path("price_sheet", f"?partner={d.partner.code}")],
    "statement_list": lambda d: [_path("statement_list")],
    "statement_detail": lambda d: [_path("statement_detail", pk=d.statement.pk)],
    "recompute_detail": lambda d: [_path("recompute_detail", pk=d.recompute.pk)],
    "sales_import_list": lambda d: [_path("sales_import_list")],
    "sales_import_detail": lambda d: [_path("sales_import_detail", pk=d.batch.pk)],
    "case_list": lambda d: [_path("case_list")],
    "case_open": lambda d: [_path("case_open")],
    "case_report": lambda d: [_path("case_report")],
    "case_detail": lambda d: [_path("case_detail", pk=d.case.pk)],
    "announcement_list": lambda d: [_path("announcement_list")],
    "announcement_create": lambda d: [_path("announcement_create")],
    "announcement_detail": lambda d: [_path("announcement_detail", pk=d.announcement.pk)],
    "announcement_edit": lambda d: (
        [_path("announcement_edit", pk=d.draft_announcement.pk)] if d.draft_announcement else []
    ),
    "notification_list": lambda d: [_path("notification_list")],
    "notification_preferences": lambda d: [_path("notification_preferences")],
    "review_list": lambda d: [_path("review_list")],
    "review_detail": lambda d: [_path("review_detail", pk=d.review.pk)],
    "certificate_list": lambda d: [_path("certificate_list")],
    "tier_next": lambda d: [_path("tier_next")],
    "tier_review_list": lambda d: [_path("tier_review_list")],
    "fund_list": lambda d: [_path("fund_list")],
    "fund_request_create": lambda d: [_path("fund_request_create")],
    "fund_request_detail": lambda d: [
        _path("fund_request_detail", pk=d.fund_request.pk),
        _path("fund_request_detail", pk=d.fund_claimable.pk),
    ],
    "fund_claim_create": lambda d: [_path("fund_claim_create", pk=d.fund_claimable.pk)],
    "fund_report": lambda d: [_path("fund_report")],
    "purchase_list": lambda d: [_path("purchase_list")],
    "protection_claim_list": lambda d: [_path("protection_claim_list")],
    "protection_claim_detail": lambda d: [
        _path("protection_claim_detail", pk=d.protection_open.pk),
        _path("protection_claim_detail", pk=d.protection_submitted.pk),
    ],
    "learning_home": lambda d: [_path("learning_home")],
    "learning_course_report": lambda d: [_path("learning_course_report")],
    "learning_course": lambda d: [_path("learning_course", code=d.course.code)],
    "learning_quiz": lambda d: [_path("learning_quiz", code=d.course.code)],
    "workshop_list": lambda d: [_path("workshop_list")],
    "workshop_attendance": lambda d: [_path("workshop_attendance", pk=d.workshop.pk)],
    "resource_list": lambda d: [_path("resource_list")],
    "resource_create": lambda d: [_path("resource_create")],
    "resource_detail": lambda d: [_path("resource_detail", pk=d.resource.pk)],
    "resource_version_create": lambda d: [_path("resource_version_create", pk=d.resource.pk)],
    "bank_details": lambda d: [_path("bank_details", **_code(d))],
    "payment_import_list": lambda d: [_path("payment_import_list")],
    "payment_import_detail": lambda d: [_path("payment_import_detail", pk=d.payment_import.pk)],
    "purchase_import_list": lambda d: [_path("purchase_import_list")],
    "purchase_import_detail": lambda d: [_path("purchase_import_detail", pk=d.purchase_import.pk)],
    "pulse_form": lambda d: [_path("pulse_form")],
    "pulse_results": lambda d: [_path("pulse_results")],
    "board_list": lambda d: [_path("board_list")],
    "board_post_create": lambda d: [_path("board_post_create")],
    "board_post_detail": lambda d: [
        _path("board_post_detail", pk=d.board_post.pk),
        _path("board_post_detail", pk=d.hidden_post.pk),
    ],
    "commitment_home": lambda d: [_path("commitment_home")],
    "commitment_partner": lambda d: [_path("commitment_partner", **_code(d))],
    "commitment_manager": lambda d: [_path("commitment_manager", pk=d.manager.pk)],
}

# Pages whose key figures must be marked: a statement's amounts, a price sheet's net prices...
KEYED_PAGES = {
    "partner_list",
    "price_sheet",
    "statement_list",
    "statement_detail",
    "deal_list",
    "case_list",
    "agreement_list",
    "sales_import_list",
}

# Demo users and the matrix role whose answers they get. Object pages are P-FORMOSA's: Harbour's
# admin (another partner) and the consultant, who belongs to both, open only the pages without one.
USERS = {
    "admin@vendor.example": "vendor_admin",
    "cm@vendor.example": "cm_assigned",
    "admin@formosa.example": "partner_admin",
    "finance@formosa.example": "partner_finance",
    "sales@formosa.example": "partner_sales",
    "admin@harbour.example": "other_partner",
    "consultant@channel-advisors.example": "partner_finance",
}
OWN_OBJECTS_ONLY = {"admin@harbour.example", "consultant@channel-advisors.example"}

MEASURE = (Path(__file__).parent / "layout_measure.js").read_text()


def _demo() -> Demo:
    from django.utils import timezone

    from agreements.models import Agreement
    from commissions.models import ImportBatch, PaymentBatch, RecomputeRequest, Statement
    from disputes.models import Case
    from enablement.models import Course, Resource, Workshop
    from engagement.models import Post
    from funds.models import FundRequest, PriceProtectionClaim, PurchaseImport
    from partners.models import Announcement, BusinessReview, DealRegistration, Partner

    partner = Partner.objects.get(code="P-FORMOSA")
    return Demo(
        partner=partner,
        agreement=Agreement.objects.get(partner=partner, versions__number=2),
        statement=Statement.objects.filter(partner=partner).order_by("period").first(),
        case=Case.objects.filter(partner=partner, status="in_progress").first(),
        announcement=Announcement.objects.filter(
            recipients__partner=partner, published_at__isnull=False
        ).first(),
        draft_announcement=Announcement.objects.filter(published_at__isnull=True).first(),
        review=BusinessReview.objects.filter(partner=partner).first(),
        deal=DealRegistration.objects.filter(partner=partner).first(),
        batch=ImportBatch.objects.first(),
        recompute=RecomputeRequest.objects.first(),
        # A settled request (claims, files, the statement link) and one awaiting its claim.
        fund_request=FundRequest.objects.get(budget__partner=partner, status="settled"),
        fund_claimable=FundRequest.objects.filter(
            budget__partner=partner, status="approved", claims=None, end__lt=timezone.localdate()
        ).first(),
        # A course open to every tier and role, and its workshop.
        course=Course.objects.get(code="NET-101"),
        workshop=Workshop.objects.filter(course__code="NET-101").first(),
        # The battlecard: two versions, meant for gold and platinum partners (Formosa is gold).
        resource=Resource.objects.get(category="competitive_intelligence"),
        # The demo price cut's claims: one awaiting its declaration, one awaiting review.
        protection_open=PriceProtectionClaim.objects.get(partner=partner, status="open"),
        protection_submitted=PriceProtectionClaim.objects.get(partner=partner, status="submitted"),
        # The board post a duplicate was merged into (votes, comments, the vendor's answer), and
        # the question the vendor hid (its reason shown to the partner).
        board_post=Post.objects.get(partner=partner, duplicates__isnull=False),
        hidden_post=Post.objects.get(partner=partner, hidden_at__isnull=False),
        purchase_import=PurchaseImport.objects.first(),
        payment_import=PaymentBatch.objects.first(),
        # The channel manager of both demo partners.
        manager=partner.account_manager,
    )


def _pages_for(email: str, demo: Demo) -> list[tuple[str, str]]:
    role = USERS[email]
    pages = []
    for name, paths in PAGES.items():
        if MATRIX[name].expect[role] != 200:
            continue
        if email in OWN_OBJECTS_ONLY and _needs_an_object(name):
            continue
        if name == "case_detail" and role == "partner_sales":
            # A sales user opens only the cases they raised; the demo's are raised by others.
            continue
        pages += [(name, path) for path in paths(demo)]
    return pages


def _needs_an_object(name: str) -> bool:
    return MATRIX[name].kwargs is not Entry.__dataclass_fields__["kwargs"].default


def _signed_in_context(browser, live_server, user, language: str):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=WIDE, locale=LANGUAGES[language])
    context.set_default_timeout(TIMEOUT_MS)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def _problems(page, where: str, name: str) -> list[str]:
    found = page.evaluate(MEASURE)
    problems = []
    if found["page"] > found["window"]:
        problems.append(
            f"{where}: the page is {found['page']} px wide "
            f"({found['page'] - found['window']} px wider than the window)"
        )
    problems += [f"{where}: table {t}" for t in found["tables"]]
    problems += [f"{where}: key figure {k} is outside the window" for k in found["keys"]]
    problems += [f"{where}: card {g}" for g in found["gaps"]]
    if name in KEYED_PAGES and found["rows"] and not found["keyCount"]:
        problems.append(f"{where}: no key figure is marked (data-key)")
    return problems


SHOTS = {"dashboard", "partner_list", "price_sheet", "statement_detail"}
SHOT_USERS = {"admin@vendor.example", "admin@formosa.example", "finance@formosa.example"}


def _open_the_sales_of_the_first_line(page) -> None:
    """The sales behind a line load into the statement page (htmx) when its details open."""
    page.locator("main details summary").first.click()
    page.locator("main details table").first.wait_for()


def _screenshot(page, email: str, name: str, language: str, size: dict) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    who = email.split("@")[0] + "-" + email.split("@")[1].split(".")[0]
    path = SCREENSHOTS / f"{name}-{who}-{language}-{size['width']}.png"
    page.screenshot(path=str(path), full_page=True)


def test_every_matrix_page_is_measured():
    pages = {name for name, entry in MATRIX.items() if entry.method == "get"}
    pages = {name for name in pages if not name.startswith("api:")}
    missing = pages - set(PAGES) - set(NOT_PAGES)
    assert not missing, f"GET pages of the access matrix the layout test does not open: {missing}"


def test_every_page_fits_the_window(browser, live_server, transactional_db):
    from django.core.management import call_command

    from prm.accounts.models import User

    call_command("seed_demo", verbosity=0)
    demo = _demo()
    problems: list[str] = []
    visited: set[str] = set()
    for email in USERS:
        user = User.objects.get(email=email)
        for language in LANGUAGES:
            User.objects.filter(pk=user.pk).update(language=language)
            context = _signed_in_context(browser, live_server, user, language)
            page = context.new_page()
            for name, path in _pages_for(email, demo):
                response = page.goto(live_server.url + path)
                if response.status != 200:
                    problems.append(f"{path} as {email}: answered {response.status}")
                    continue
                visited.add(name)
                if name == "statement_detail":
                    _open_the_sales_of_the_first_line(page)
                for size in (WIDE, PHONE):
                    page.set_viewport_size(size)
                    where = f"{path} as {USERS[email]} ({email}), {language}, {size['width']} px"
                    problems += _problems(page, where, name)
                    if name in SHOTS and email in SHOT_USERS:
                        _screenshot(page, email, name, language, size)
                page.set_viewport_size(WIDE)
            context.close()
    page = browser.new_page(viewport=PHONE)
    page.goto(live_server.url + reverse("account_login"))
    problems += _problems(page, "the sign-in page, 390 px", "account_login")
    page.set_viewport_size(WIDE)
    problems += _problems(page, "the sign-in page, 1280 px", "account_login")
    page.close()
    assert visited == set(PAGES) - {name for name in PAGES if not PAGES[name](demo)}
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
