"""Funds and price protection in a real browser: a partner sales user requests market development
funds, vendor staff approve, the partner claims with a proof file, vendor staff approve the claim
and the partner's finance user reads the reimbursement on the draft statement; a price cut opens a
price-protection claim the finance user declares, vendor staff approve it and the credit is on the
statement. In English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt
from decimal import Decimal

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}
D = dt.timedelta(days=1)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(screenshot_path(name)), full_page=True)


def _open_current_statement(page, live_server) -> None:
    from partners.periods import current_period

    page.goto(f"{live_server.url}/payouts/")
    with page.expect_navigation():
        page.click(f"main a:text('{current_period()}')")


@pytest.fixture
def funds_world(e2e_world, settings, tmp_path):
    """P-A under an agreement in force with a commission plan and 30 days of price protection,
    a fund of its own, and a TWD product it bought twice in the last weeks at 1,000.00."""
    from django.utils import timezone

    from agreements.models import PriceList, PriceListItem, Product, ProductLine
    from agreements.services.agreements import Terms, agreement_create
    from agreements.services.program import program_load
    from funds.models import Fund, PurchaseInvoiceLine
    from funds.services import fund_budgets_sync

    settings.MEDIA_ROOT = str(tmp_path / "media")
    today = timezone.localdate()
    program_load(
        {
            "commission_plans": [
                {
                    "code": "STD",
                    "settlement": "month",
                    "clawback_days": 60,
                    "rules": [{"priority": 10, "kind": "percent", "rate": "5"}],
                }
            ]
        },
        today=today - 300 * D,
    )
    agreement = agreement_create(
        actor=e2e_world.users["vendor_admin"],
        partner=e2e_world.partner,
        number="AG-E2E",
        start=today - 200 * D,
        end=today + 200 * D,
        terms=Terms(
            effective_date=today - 200 * D, commission_plan="STD", price_protection_days=30
        ),
    )
    version = agreement.versions.get()
    type(version).objects.filter(pk=version.pk).update(
        status="accepted", in_force_from=today - 200 * D, accepted_hash=version.terms_hash
    )
    fund = Fund.objects.create(
        code="MDF-E2E",
        name="Co-marketing fund",
        partner=e2e_world.partner,
        amount=Decimal("100000.00"),
        start=today - 60 * D,
        end=today + 120 * D,
        share=Decimal("50"),
        claim_days=60,
    )
    fund_budgets_sync(fund)
    net = ProductLine.objects.create(code="NET", name="Networking", local_name="網路")
    product = Product.objects.create(sku="SW-24", name="24-port switch", line=net, currency="TWD")
    first = PriceList.objects.create(
        code="LIST-TWD", name="List prices", currency="TWD", effective_from=today - 300 * D
    )
    PriceListItem.objects.create(price_list=first, product=product, list_price=Decimal("1000.00"))
    for line, (days_ago, units) in enumerate(((20, "6"), (5, "4")), start=1):
        PurchaseInvoiceLine.objects.create(
            invoice_number="INV-E2E",
            line=line,
            partner=e2e_world.partner,
            product=product,
            invoice_date=today - days_ago * D,
            quantity=Decimal(units),
            unit_net_price=Decimal("1000.00"),
            currency="TWD",
        )
    e2e_world.product = product
    return e2e_world


@pytest.mark.parametrize("locale", list(LOCALES))
def test_request_claim_with_a_file_and_read_the_reimbursement(
    new_page, live_server, funds_world, locale, tmp_path
):
    from django.utils import timezone

    from funds.models import FundClaim, FundRequest

    world = funds_world
    today = timezone.localdate()
    proof = tmp_path / "seminar-invoice.pdf"
    proof.write_bytes(b"%PDF-1.4\n% proof of performance\n")

    sales = new_page(locale)
    login(sales, live_server, world.email("partner_sales"))
    assert sales.locator("html").get_attribute("lang") == LOCALES[locale]
    assert "100,000.00" in sales.locator("#tile-funds").inner_text()
    sales.goto(f"{live_server.url}/funds/requests/new/")
    sales.select_option("#id_kind", "event")
    sales.fill("#id_description", "Dealer day in Kaohsiung")
    sales.fill("#id_start", (today - 10 * D).isoformat())
    sales.fill("#id_end", (today - 3 * D).isoformat())
    sales.fill("#id_planned_cost", "4000.00")
    sales.fill("#id_amount", "2000.00")
    _assert_no_critical(sales, f"the fund request form ({locale})")
    with sales.expect_navigation():
        sales.click("main form button[type=submit]")
    req = FundRequest.objects.get()
    assert sales.url == f"{live_server.url}/funds/requests/{req.pk}/"

    vendor = new_page(locale)
    login(vendor, live_server, world.email("cm_assigned"))
    assert vendor.locator("#tile-fund_requests .stat-value").inner_text().strip() == "1"
    vendor.goto(f"{live_server.url}/funds/")
    assert req.number in vendor.locator("main").inner_text()
    _assert_no_critical(vendor, f"the vendor's fund queue ({locale})")
    _shot(vendor, f"funds-1-queue-{locale}")
    vendor.goto(f"{live_server.url}/funds/requests/{req.pk}/")
    vendor.select_option("#decision_decision", "approve")
    with vendor.expect_navigation():
        vendor.click("form[action$='/decide/'] button[type=submit]")
    req.refresh_from_db()
    assert (req.status, req.approved_amount) == ("approved", Decimal("2000.00"))

    sales.goto(f"{live_server.url}/funds/requests/{req.pk}/")
    with sales.expect_navigation():
        sales.click(f"a[href='/funds/requests/{req.pk}/claim/']")
    sales.fill("#id_actual_cost", "3000.00")
    sales.set_input_files("#id_files", str(proof))
    _assert_no_critical(sales, f"the claim form ({locale})")
    _shot(sales, f"funds-2-claim-{locale}")
    with sales.expect_navigation():
        sales.click("main form button[type=submit]")
    claim = FundClaim.objects.get()
    assert claim.reimbursement == Decimal("1500.00")
    assert claim.files.get().name == "seminar-invoice.pdf"

    vendor.goto(f"{live_server.url}/")
    assert vendor.locator("#tile-fund_claims .stat-value").inner_text().strip() == "1"
    vendor.goto(f"{live_server.url}/funds/requests/{req.pk}/")
    vendor.select_option(f"#claim_decision_{claim.pk}", "approve")
    with vendor.expect_navigation():
        vendor.click(f"form[action$='/claims/{claim.pk}/decide/'] button[type=submit]")
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.adjustment.statement_id is not None

    finance = new_page(locale)
    login(finance, live_server, world.email("partner_finance"))
    _open_current_statement(finance, live_server)
    body = finance.locator("main").inner_text()
    assert "1,500.00" in body
    assert f"MDF-E2E {req.number}" in body
    assert finance.locator(f"main a[href='/funds/requests/{req.pk}/']").count() >= 1
    _assert_no_critical(finance, f"the statement with the reimbursement ({locale})")
    _shot(finance, f"funds-3-statement-{locale}")


@pytest.mark.parametrize("locale", list(LOCALES))
def test_declare_a_price_protection_claim_and_read_the_credit(
    new_page, live_server, funds_world, locale
):
    from django.utils import timezone

    from agreements.models import PriceList, PriceListItem
    from funds.models import PriceProtectionClaim

    world = funds_world
    today = timezone.localdate()
    cut = PriceList.objects.create(
        code="LIST-TWD-CUT", name="Price cut", currency="TWD", effective_from=today
    )
    PriceListItem.objects.create(
        price_list=cut, product=world.product, list_price=Decimal("800.00")
    )
    claim = PriceProtectionClaim.objects.get()
    drop = claim.previous_net_price - claim.new_net_price
    assert drop > 0

    finance = new_page(locale)
    login(finance, live_server, world.email("partner_finance"))
    assert LOCALES[locale] == finance.locator("html").get_attribute("lang")
    assert finance.locator("#tile-protection .stat-value").inner_text().strip() == "1"
    with finance.expect_navigation():
        finance.click(f"#protection-claims a[href='/funds/protection/{claim.pk}/']")
    # Eight units on hand: the four of the newest line, then four of the older one.
    finance.fill("#on_hand", "8")
    with finance.expect_navigation():
        finance.click("main form[method=get] button[type=submit]")
    lines = finance.locator("section[aria-labelledby=lines-heading] tbody tr")
    assert lines.count() == 2
    expected = f"{8 * drop:,.2f}"
    assert expected in finance.locator("main").inner_text()
    _assert_no_critical(finance, f"the claim's credit preview ({locale})")
    _shot(finance, f"protection-1-preview-{locale}")
    with finance.expect_navigation():
        finance.click(f"form[action$='/protection/{claim.pk}/declare/'] button[type=submit]")
    claim.refresh_from_db()
    assert (claim.status, claim.credit) == ("submitted", 8 * drop)

    vendor = new_page(locale)
    login(vendor, live_server, world.email("vendor_admin"))
    assert vendor.locator("#tile-protection_claims .stat-value").inner_text().strip() == "1"
    vendor.goto(f"{live_server.url}/funds/protection/{claim.pk}/")
    vendor.select_option("#decision", "approve")
    _assert_no_critical(vendor, f"the vendor's review of the claim ({locale})")
    with vendor.expect_navigation():
        vendor.click(f"form[action$='/protection/{claim.pk}/decide/'] button[type=submit]")
    claim.refresh_from_db()
    assert claim.status == "approved"

    _open_current_statement(finance, live_server)
    body = finance.locator("main").inner_text()
    assert expected in body
    assert finance.locator(f"main a[href='/funds/protection/{claim.pk}/']").count() >= 1
    _assert_no_critical(finance, f"the statement with the credit ({locale})")
    _shot(finance, f"protection-2-statement-{locale}")
