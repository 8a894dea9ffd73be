"""In a real browser: a vendor uploads a sales CSV with good and bad rows and sees the rejected
ones, recomputes, and the partner's finance user reads the explained statement, in English and
in Traditional Chinese."""

import datetime as dt

import pytest

from .conftest import login, screenshot_path

pytestmark = pytest.mark.e2e

CSV = (
    "external_id,partner_code,sku,customer_name,customer_tax_id,segment,territory,"
    "invoice_date,kind,quantity,net_amount,currency,original_external_id\n"
    "E-1,P-A,SW-24,Taipei Metro Hospital,,,TW-TPE,2026-10-05,sale,2,24000.00,TWD,\n"
    "E-2,P-A,SW-24,Sunrise Logistics,,,TW-TPE,2026-10-12,sale,1,12000.00,TWD,\n"
    "E-3,P-A,XX-99,Sunrise Logistics,,,TW-TPE,2026-10-12,sale,1,12000.00,TWD,\n"
    "E-4,P-A,SW-24,Sunrise Logistics,,,TW-TPE,2026-13-40,sale,1,12000.00,TWD,\n"
)


@pytest.fixture
def payout_world(e2e_world):
    from agreements.models import Product, ProductLine
    from agreements.services.agreements import Terms, agreement_create
    from agreements.services.program import program_load

    net = ProductLine.objects.create(code="NET", name="Networking", local_name="網路")
    Product.objects.create(sku="SW-24", name="24-port switch", line=net, currency="TWD")
    program_load(
        {
            "commission_plans": [
                {
                    "code": "STD",
                    "settlement": "month",
                    "clawback_days": 60,
                    "rules": [{"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}],
                }
            ]
        },
        today=dt.date(2026, 9, 1),
    )
    agreement = agreement_create(
        actor=e2e_world.users["vendor_admin"],
        partner=e2e_world.partner,
        number="AG-E2E",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        terms=Terms(effective_date=dt.date(2026, 1, 1), commission_plan="STD"),
    )
    version = agreement.versions.get()
    type(version).objects.filter(pk=version.pk).update(
        status="accepted", in_force_from=dt.date(2026, 1, 1), accepted_hash=version.terms_hash
    )
    return e2e_world


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_upload_recompute_and_read_the_statement(
    new_page, live_server, payout_world, tmp_path, language
):
    locale = "zh-TW" if language == "zh-hant" else "en-US"
    csv_file = tmp_path / "october.csv"
    csv_file.write_text(CSV)

    vendor = new_page(locale)
    login(vendor, live_server, payout_world.email("vendor_admin"))
    vendor.goto(f"{live_server.url}/sales/imports/")
    vendor.set_input_files("#id_file", str(csv_file))
    with vendor.expect_navigation():
        vendor.click("main form button[type=submit]")
    vendor.wait_for_selector("#rejected-heading")
    rejected = vendor.locator("#import-progress tbody tr")
    assert rejected.count() == 2
    assert "XX-99" in rejected.nth(0).inner_text()
    assert "invoice_date" in rejected.nth(1).inner_text()
    vendor.screenshot(path=str(screenshot_path(f"import-rejected-{language}")), full_page=True)

    vendor.goto(f"{live_server.url}/payouts/?period=2026-10")
    vendor.click("a:text('2026-10')")
    vendor.click("form[action$='/recompute/'] button")
    vendor.wait_for_selector("#recompute-progress .bi-check-circle")

    partner = new_page(locale)
    login(partner, live_server, payout_world.email("partner_finance"))
    partner.goto(f"{live_server.url}/payouts/")
    partner.click("a:text('2026-10')")
    # The line reads in the partner's language: the product line's name is localised.
    scope = "Networking, " if language == "en" else "網路, "
    assert f"{scope}" in partner.content()
    assert "36,000.00 × 5% = 1,800.00" in partner.content()
    partner.click("#lines-heading ~ div details summary")
    partner.wait_for_selector("td:text('E-1')")
    assert partner.locator("html").get_attribute("lang") == language
    partner.screenshot(path=str(screenshot_path(f"statement-partner-{language}")), full_page=True)
