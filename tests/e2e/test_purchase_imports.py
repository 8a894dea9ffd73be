"""The purchases upload in a real browser: a channel manager opens the import page from the
purchases list, uploads a file with a bad row and reads the counts and the rejected row on the
batch page, in English and zh-Hant, with screenshots and an axe pass on each page."""

import datetime as dt

import pytest

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = ["en-US", "zh-TW"]


@pytest.mark.parametrize("locale", LOCALES)
def test_upload_a_purchases_file_and_read_its_rejections(
    new_page, live_server, e2e_world, locale, tmp_path, settings
):
    from django.utils import timezone

    from funds.models import PurchaseImport
    from tests.agreements.factories import ProductFactory

    settings.MEDIA_ROOT = str(tmp_path / "media")
    ProductFactory(sku="SW-24", currency="TWD")
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    file = tmp_path / "purchases.csv"
    file.write_text(
        "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency\n"
        f"INV-1,1,P-A,SW-24,{day},10,900.00,TWD\n"
        f"INV-1,2,P-A,NOPE,{day},1,900.00,TWD\n"
    )
    page = new_page(locale)
    login(page, live_server, e2e_world.email("cm_assigned"))
    page.goto(f"{live_server.url}/funds/purchases/")
    with page.expect_navigation():
        page.click("a[href$='/funds/purchases/imports/']")
    _assert_no_critical(page, f"purchase imports ({locale})")
    page.screenshot(path=str(screenshot_path(f"purchase-imports-{locale}")), full_page=True)
    page.set_input_files("input[type=file]", str(file))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    batch = PurchaseImport.objects.get()
    assert page.url.endswith(f"/funds/purchases/imports/{batch.pk}/")
    assert batch.status == "done"
    assert "unknown SKU 'NOPE'" in page.inner_text("main")
    assert page.inner_text(".stat-value.text-success") == "1"
    _assert_no_critical(page, f"purchase import result ({locale})")
    page.screenshot(path=str(screenshot_path(f"purchase-import-{locale}")), full_page=True)
