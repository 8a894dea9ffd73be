"""The purchases import: row-level rejections with row, column and reason, duplicates on
re-import, the command's exit status and the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from funds.models import PurchaseInvoiceLine
from funds.purchases import purchases_import
from tests.agreements.factories import ProductFactory

HEADER = "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency\n"


@pytest.fixture
def sku(world):
    return ProductFactory(sku="SW-24", currency="TWD")


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


def day(offset=0):
    return (timezone.localdate() - dt.timedelta(days=offset)).isoformat()


def test_good_rows_are_kept_and_bad_ones_rejected_with_row_column_and_reason(world, sku):
    result = purchases_import(
        content=csv(
            f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD",
            f"INV-1,2,P-A,SW-24,{day(3)},2.5,880.50,TWD",
            f"INV-2,1,P-X,SW-24,{day(3)},1,900.00,TWD",
            f"INV-2,2,P-A,NOPE,{day(3)},1,900.00,TWD",
            "INV-2,3,P-A,SW-24,2026/01/01,1,900.00,TWD",
            f"INV-2,4,P-A,SW-24,{day(3)},0,900.00,TWD",
            f"INV-2,5,P-A,SW-24,{day(3)},1,900.001,TWD",
            f"INV-2,6,P-A,SW-24,{day(3)},1,900.00,HKD",
            f"INV-2,x,P-A,SW-24,{day(3)},1,900.00,TWD",
            f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD",
            f"INV-3,1,P-A,SW-24,{day(3)}",
        )
    )
    assert result.created == 2
    assert [(r.row, r.column) for r in result.rejected] == [
        (4, "partner_code"),
        (5, "sku"),
        (6, "invoice_date"),
        (7, "quantity"),
        (8, "unit_net_price"),
        (9, "currency"),
        (10, "line"),
        (11, "line"),
        (12, "row"),
    ]
    assert "repeats row 2" in result.rejected[7].reason
    line = PurchaseInvoiceLine.objects.get(invoice_number="INV-1", line=2)
    assert (line.quantity, line.unit_net_price) == (Decimal("2.5"), Decimal("880.50"))
    assert result.batch.rejected_count == 9


def test_a_reimport_is_a_duplicate_and_other_figures_are_rejected(world, sku):
    row = f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD"
    assert purchases_import(content=csv(row)).created == 1
    again = purchases_import(content=csv(row, f"INV-1,1,P-A,SW-24,{day(3)},11,900.00,TWD"))
    assert (again.created, again.duplicates) == (0, 1)
    assert [(r.row, r.column) for r in again.rejected] == [(3, "line")]
    assert PurchaseInvoiceLine.objects.count() == 1


def test_a_file_without_the_columns_is_refused_whole(world, sku):
    result = purchases_import(content=b"invoice_number,line\nA,1\n")
    assert result.created == 0
    assert result.rejected[0].column == "partner_code"


def test_command_exits_non_zero_when_a_row_is_rejected(world, sku, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv(f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD"))
    call_command("import_purchases", str(good))
    assert "created: 1" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv(f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD", "INV-9,1,P-A,SW-24,x,1,1,TWD"))
    with pytest.raises(CommandError):
        call_command("import_purchases", str(bad))
    out = capsys.readouterr().out
    assert "duplicate: 1" in out
    assert "row 3, invoice_date:" in out


def test_api_imports_only_for_partners_the_caller_may_see(world, sku):
    content = csv(
        f"INV-1,1,P-A,SW-24,{day(3)},10,900.00,TWD", f"INV-2,1,P-B,SW-24,{day(3)},1,900.00,TWD"
    )
    client = world.client("cm_assigned")
    response = client.post(
        reverse("api:purchase-import"),
        {"file": SimpleUploadedFile("p.csv", content, "text/csv")},
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["created"], data["rejected"]) == (1, 1)
    assert data["rejected_rows"][0]["column"] == "partner_code"


def test_partners_see_only_their_own_purchases(world, sku):
    purchases_import(
        content=csv(
            f"INV-A,1,P-A,SW-24,{day(3)},10,900.00,TWD",
            f"INV-B,1,P-B,SW-24,{day(3)},1,900.00,TWD",
        )
    )
    page = world.client("partner_finance").get(reverse("purchase_list")).content.decode()
    assert "INV-A" in page
    assert "INV-B" not in page
    page = world.client("other_partner").get(reverse("purchase_list")).content.decode()
    assert "INV-B" in page
    assert "INV-A" not in page


def test_a_line_in_another_currency_converts_at_the_latest_rate_on_or_before_its_date(world, sku):
    from commissions.models import ExchangeRate

    ExchangeRate.objects.create(
        from_currency="USD",
        to_currency="TWD",
        date=timezone.localdate() - dt.timedelta(5),
        rate=Decimal("31.50"),
    )
    ExchangeRate.objects.create(
        from_currency="USD",
        to_currency="TWD",
        date=timezone.localdate() - dt.timedelta(2),
        rate=Decimal("32.00"),
    )
    row = f"INV-9,1,P-A,SW-24,{day(3)},2,28.01,USD"
    result = purchases_import(
        content=csv(
            row,
            f"INV-9,2,P-A,SW-24,{day(2)},2,28.01,USD",
            f"INV-9,3,P-A,SW-24,{day(6)},2,28.01,USD",
        )
    )

    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (4, "currency", f"no USD→TWD rate on or before {day(6)}")
    ]
    # 28.01 × 31.50 = 882.315 → 882.32 (the day before the change); 28.01 × 32.00 = 896.32
    first, second = PurchaseInvoiceLine.objects.order_by("line")
    assert (
        first.unit_net_price,
        first.currency,
        first.original_unit_net_price,
        first.original_currency,
        first.exchange_rate,
    ) == (Decimal("882.32"), "TWD", Decimal("28.01"), "USD", Decimal("31.5"))
    assert (second.unit_net_price, second.rate_date) == (
        Decimal("896.32"),
        timezone.localdate() - dt.timedelta(2),
    )
    # The same invoice line again is a duplicate, compared on the invoice's own figures.
    assert purchases_import(content=csv(row)).duplicates == 1
