"""In a real browser: the partner admin downloads an approved statement's PDF, acknowledges the
statement and sets the payout bank details; the vendor sees the acknowledgement in the list. In
English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical
from .test_payouts import payout_world  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


@pytest.fixture
def approved(payout_world):  # noqa: F811
    from agreements.models import Product
    from commissions.models import Sale, Statement
    from commissions.services.compute import recompute
    from commissions.services.statements import statement_approve

    for n, amount in enumerate(["24000.00", "12000.00"]):
        Sale.objects.create(
            external_id=f"D-{n}",
            partner=payout_world.partner,
            product=Product.objects.get(sku="SW-24"),
            customer_name="Taipei Metro Hospital",
            invoice_date=dt.date(2026, 10, 5 + n),
            kind="sale",
            quantity=Decimal("1"),
            net_amount=Decimal(amount),
            currency="TWD",
        )
    recompute(month_label="2026-10")
    statement = Statement.objects.get(partner=payout_world.partner, period="2026-10")
    return statement_approve(statement=statement, actor=payout_world.users["vendor_admin"])


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


@pytest.mark.parametrize("locale", list(LOCALES))
def test_partner_downloads_acknowledges_and_sets_bank_details(
    new_page,
    live_server,
    payout_world,  # noqa: F811
    approved,
    locale,
):
    language = LOCALES[locale]
    page = new_page(locale)
    login(page, live_server, payout_world.email("partner_admin"))
    page.goto(f"{live_server.url}/payouts/{approved.pk}/")
    assert page.locator("html").get_attribute("lang") == language
    _assert_no_critical(page, f"the approved statement ({locale})")
    _shot(page, f"statement-documents-1-approved-{locale}")

    with page.expect_download() as download:
        page.click("#statement-pdf")
    suffix = "" if language == "en" else "-zh-hant"
    assert download.value.suggested_filename == f"statement-P-A-2026-10{suffix}.pdf"
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    assert ("How it was computed" if language == "en" else "計算方式") in text
    assert "36,000.00 × 5% = 1,800.00" in text

    with page.expect_navigation():
        page.click("#acknowledge-statement")
    assert page.locator("#acknowledge-statement").count() == 0
    assert "Amy Lin" in page.locator("#acknowledged").inner_text()
    _assert_no_critical(page, f"the acknowledged statement ({locale})")
    _shot(page, f"statement-documents-2-acknowledged-{locale}")

    page.goto(f"{live_server.url}/payouts/bank/P-A/")
    _assert_no_critical(page, f"the bank details ({locale})")
    with page.expect_navigation():
        page.click("#edit-bank-details")
    _assert_no_critical(page, f"the bank details form ({locale})")
    page.fill("#id_bank_name", "Cathay United Bank")
    page.fill("#id_account_holder", "Acme Trading Ltd")
    page.fill("#id_account_number", "0123-4567-8901")
    page.fill("#id_branch_code", "UWCBTWTP")
    page.select_option("#id_currency", "TWD")
    _shot(page, f"statement-documents-3-bank-form-{locale}")
    with page.expect_navigation():
        page.click("#save-bank-details")
    current = page.locator("#bank-current").inner_text()
    assert "••••••••8901" in current
    assert "0123" not in page.content()
    _assert_no_critical(page, f"the bank details with history ({locale})")
    _shot(page, f"statement-documents-4-bank-{locale}")

    vendor = new_page(locale)
    login(vendor, live_server, payout_world.email("cm_assigned"))
    vendor.goto(f"{live_server.url}/payouts/?acknowledged=yes")
    rows = vendor.locator("main table tbody tr")
    assert rows.count() == 1
    assert "2026-10" in rows.first.inner_text()
    _assert_no_critical(vendor, f"the statements acknowledged ({locale})")
    _shot(vendor, f"statement-documents-5-vendor-list-{locale}")
