"""The sales CSV (spec, Interface contract: Sales CSV and `import_sales`)."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commissions.models import ImportBatch, ImportRejection, RecomputeRequest, Sale
from commissions.services.imports import sales_import

from .builders import COLUMNS, csv_bytes, load, plan, program

pytestmark = pytest.mark.django_db

GOOD = "S-1,P-ACME,SW-24,Customer Ltd,12345678,enterprise,TW-TPE,2026-10-05,sale,2,24000.00,TWD,"


@pytest.fixture(autouse=True)
def _program(db):
    load(program(commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})]))


def _import(*rows: str, header: str = COLUMNS):
    return sales_import(content=csv_bytes(*rows, header=header), filename="sales.csv")


def _rejections(result) -> list[tuple[int, str, str]]:
    return [(r.row, r.column, r.reason) for r in result.rejected]


def test_a_good_row_becomes_a_sale_with_every_column():
    result = _import(GOOD)

    assert (result.created, result.duplicates, result.rejected) == (1, 0, [])
    sale = Sale.objects.get()
    assert (
        sale.external_id,
        sale.partner.code,
        sale.product.sku,
        sale.customer_name,
        sale.customer_tax_id,
        sale.segment,
        sale.territory,
        sale.invoice_date,
        sale.kind,
        sale.quantity,
        sale.net_amount,
        sale.currency,
        sale.original,
        sale.batch,
    ) == (
        "S-1",
        "P-ACME",
        "SW-24",
        "Customer Ltd",
        "12345678",
        "enterprise",
        "TW-TPE",
        dt.date(2026, 10, 5),
        "sale",
        Decimal("2.00"),
        Decimal("24000.00"),
        "TWD",
        None,
        result.batch,
    )
    batch = result.batch
    assert (
        batch.status,
        batch.total_rows,
        batch.processed_rows,
        batch.created_count,
        batch.duplicate_count,
        batch.rejected_count,
    ) == ("done", 1, 1, 1, 0, 0)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            "X,P-ACME,SW-24,C,,,,2026-02-30,sale,1,100.00,TWD,",
            "invoice_date",
            "not a date (YYYY-MM-DD)",
        ),
        (
            "X,P-ACME,SW-24,C,,,,05/10/2026,sale,1,100.00,TWD,",
            "invoice_date",
            "not a date (YYYY-MM-DD)",
        ),
        (
            "X,P-ACME,SW-24,C,,,,20261005,sale,1,100.00,TWD,",
            "invoice_date",
            "not a date (YYYY-MM-DD)",
        ),
        ("X,P-ACME,SW-24,C,,,,,sale,1,100.00,TWD,", "invoice_date", "not a date (YYYY-MM-DD)"),
        (
            "X,P-NOPE,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,",
            "partner_code",
            "unknown partner 'P-NOPE'",
        ),
        ("X,P-ACME,XX-99,C,,,,2026-10-05,sale,1,100.00,TWD,", "sku", "unknown SKU 'XX-99'"),
        ("X,P-ACME,SW-24,C,,,,2026-10-05,sale,0,100.00,TWD,", "quantity", "not a positive number"),
        ("X,P-ACME,SW-24,C,,,,2026-10-05,sale,-1,100.00,TWD,", "quantity", "not a positive number"),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,two,100.00,TWD,",
            "quantity",
            "not a positive number",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.005,TWD,",
            "net_amount",
            "not a positive amount with at most 2 decimals",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,-100.00,TWD,",
            "net_amount",
            "not a positive amount with at most 2 decimals",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,0,TWD,",
            "net_amount",
            "not a positive amount with at most 2 decimals",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,NaN,TWD,",
            "net_amount",
            "not a positive amount with at most 2 decimals",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,USD,",
            "currency",
            "USD, but the partner is invoiced in TWD",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,,",
            "currency",
            "empty, but the partner is invoiced in TWD",
        ),
        ("X,P-ACME,SW-24,C,,,,2026-10-05,refund,1,100.00,TWD,", "kind", "must be sale or return"),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,return,1,100.00,TWD,",
            "original_external_id",
            "required for a return",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,S-1",
            "original_external_id",
            "only returns refer to an original sale",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,return,1,100.00,TWD,S-404",
            "original_external_id",
            "no sale 'S-404'",
        ),
        (",P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,", "external_id", "required"),
        ("X,P-ACME,SW-24,,,,,2026-10-05,sale,1,100.00,TWD,", "customer_name", "required"),
        (
            "X,P-ACME,SW-24,C,,,TW-TPE-TOO-LONG,2026-10-05,sale,1,100.00,TWD,",
            "territory",
            "longer than 10 characters",
        ),
    ],
)
def test_a_bad_row_is_rejected_with_its_row_column_and_reason_and_the_good_rows_are_kept(
    row, column, reason
):
    # given a good row 2, the bad row 3, a good row 4
    good_after = GOOD.replace("S-1,", "S-2,", 1)

    # when
    result = _import(GOOD, row, good_after)

    # then
    assert _rejections(result) == [(3, column, reason)]
    assert (result.created, result.duplicates) == (2, 0)
    assert sorted(Sale.objects.values_list("external_id", flat=True)) == ["S-1", "S-2"]
    assert list(
        ImportRejection.objects.filter(batch=result.batch).values_list(
            "row_number", "column", "reason"
        )
    ) == [(3, column, reason)]
    assert result.batch.rejected_count == 1


def test_a_quantity_too_large_to_store_is_rejected_not_a_crash():
    result = _import(GOOD, "X,P-ACME,SW-24,C,,,,2026-10-05,sale,99999999999,100.00,TWD,")

    assert _rejections(result) == [(3, "quantity", "not a positive number")]
    assert result.created == 1


def test_an_amount_too_large_to_store_is_rejected():
    result = _import("X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,1000000000000.00,TWD,")

    assert _rejections(result) == [
        (2, "net_amount", "not a positive amount with at most 2 decimals")
    ]


def test_currency_is_compared_case_insensitively():
    result = _import("X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,twd,")

    assert (result.created, result.rejected) == (1, [])
    assert Sale.objects.get().currency == "TWD"


def test_the_currency_must_be_the_partners_own():
    # P-YEN is invoiced in JPY: a TWD row of P-YEN is refused, a JPY one kept.
    result = _import(
        "Y-1,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,",
        "Y-2,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100,JPY,",
    )

    assert _rejections(result) == [(2, "currency", "TWD, but the partner is invoiced in JPY")]
    assert list(Sale.objects.values_list("external_id", "currency")) == [("Y-2", "JPY")]


def test_reimporting_the_same_file_creates_nothing_new():
    rows = (
        GOOD,
        "S-2,P-ACME,FW-1,C,,,,2026-10-06,sale,1,30000.00,TWD,",
        "R-1,P-ACME,SW-24,C,,,,2026-10-07,return,1,12000.00,TWD,S-1",
        "BAD,P-ACME,SW-24,C,,,,2026-10-07,sale,0,1.00,TWD,",
    )
    first = _import(*rows)

    second = _import(*rows)

    assert (first.created, first.duplicates, len(first.rejected)) == (3, 0, 1)
    assert (second.created, second.duplicates, len(second.rejected)) == (0, 3, 1)
    assert Sale.objects.count() == 3
    assert (second.batch.created_count, second.batch.duplicate_count) == (0, 3)


def test_a_row_already_in_the_database_is_a_duplicate_even_in_another_file():
    _import(GOOD)

    result = _import(
        GOOD.replace("24000.00", "1.00"), "S-9,P-ACME,SW-24,C,,,,2026-10-05,sale,1,5.00,TWD,"
    )

    assert (result.created, result.duplicates, result.rejected) == (1, 1, [])
    assert Sale.objects.get(external_id="S-1").net_amount == Decimal("24000.00")


def test_a_repeated_external_id_within_one_file_keeps_the_first_row():
    result = _import(GOOD, GOOD.replace("24000.00", "99.00"))

    assert (result.created, result.duplicates, result.rejected) == (1, 1, [])
    assert Sale.objects.get().net_amount == Decimal("24000.00")


def test_a_return_is_linked_to_its_original_in_the_database():
    _import(GOOD)

    result = _import("R-1,P-ACME,SW-24,C,,,,2026-11-02,return,1,12000.00,TWD,S-1")

    assert (result.created, result.rejected) == (1, [])
    ret = Sale.objects.get(external_id="R-1")
    assert (ret.kind, ret.original.external_id, ret.quantity, ret.net_amount) == (
        "return",
        "S-1",
        Decimal("1.00"),
        Decimal("12000.00"),
    )


@pytest.mark.parametrize("return_first", [False, True])
def test_a_return_is_linked_to_its_original_in_the_same_file(return_first):
    ret = "R-1,P-ACME,SW-24,C,,,,2026-10-09,return,1,12000.00,TWD,S-1"
    rows = (ret, GOOD) if return_first else (GOOD, ret)

    result = _import(*rows)

    assert (result.created, result.rejected) == (2, [])
    assert Sale.objects.get(external_id="R-1").original == Sale.objects.get(external_id="S-1")


def test_a_return_of_another_partners_sale_is_rejected():
    _import("B-1,P-BETA,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,")

    result = _import(
        GOOD,
        "R-1,P-ACME,SW-24,C,,,,2026-10-09,return,1,100.00,TWD,B-1",
    )

    assert _rejections(result) == [
        (3, "original_external_id", "the original sale belongs to another partner")
    ]
    assert result.created == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "R-2,P-ACME,FW-1,C,,,,2026-10-09,return,1,100.00,TWD,S-1",
            "the original sale is of another SKU",
        ),
        (
            "R-2,P-ACME,SW-24,C,,,,2026-10-04,return,1,100.00,TWD,S-1",
            "dated before the original sale",
        ),
        (
            "R-2,P-ACME,SW-24,C,,,,2026-10-09,return,1,100.00,TWD,R-1",
            "the original is itself a return",
        ),
    ],
)
def test_a_return_that_cannot_belong_to_its_original_is_rejected(row, reason):
    _import(GOOD, "R-1,P-ACME,SW-24,C,,,,2026-10-06,return,1,100.00,TWD,S-1")

    result = _import(row)

    assert _rejections(result) == [(2, "original_external_id", reason)]
    assert not Sale.objects.filter(external_id="R-2").exists()


def test_a_return_whose_original_row_was_rejected_is_rejected_too():
    result = _import(
        "S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,0,100.00,TWD,",
        "R-1,P-ACME,SW-24,C,,,,2026-10-09,return,1,100.00,TWD,S-1",
    )

    assert _rejections(result) == [
        (2, "quantity", "not a positive number"),
        (3, "original_external_id", "no sale 'S-1'"),
    ]
    assert result.created == 0


def test_rejections_are_listed_in_row_order():
    result = _import(
        "R-1,P-ACME,SW-24,C,,,,2026-10-09,return,1,100.00,TWD,S-404",
        "X,P-NOPE,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,",
        GOOD,
    )

    assert [(r.row, r.column) for r in result.rejected] == [
        (2, "original_external_id"),
        (3, "partner_code"),
    ]


def test_header_and_cells_are_trimmed_and_a_byte_order_mark_is_ignored():
    header = " " + COLUMNS.replace(",", " , ")
    content = (
        "\ufeff"
        + header
        + "\n S-1 , P-ACME , SW-24 , C ,,,, 2026-10-05 , sale , 1 , 10.00 , TWD ,\n"
    )

    result = sales_import(content=content.encode(), filename="bom.csv")

    assert (result.created, result.rejected) == (1, [])
    assert Sale.objects.get().external_id == "S-1"


def test_a_file_missing_a_column_is_refused_as_a_whole():
    header = COLUMNS.replace("net_amount,", "")

    result = _import("S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,1,TWD,", header=header)

    assert _rejections(result) == [(1, "net_amount", "Missing columns: net_amount.")]
    assert result.created == 0
    assert not Sale.objects.exists()
    assert (result.batch.status, result.batch.error) == ("failed", "Missing columns: net_amount.")


def test_an_empty_file_is_refused():
    result = sales_import(content=b"", filename="empty.csv")

    assert result.rejected[0].row == 1
    assert result.rejected[0].reason.startswith("Missing columns: external_id, partner_code")
    assert result.batch.status == ImportBatch.Status.FAILED


def test_a_file_that_is_not_utf8_is_refused():
    content = csv_bytes("S-1,P-ACME,SW-24,Café Ltd,,,,2026-10-05,sale,1,10.00,TWD,")

    result = sales_import(content=content.decode().encode("latin-1"), filename="latin.csv")

    assert _rejections(result) == [(1, "file", "The file is not UTF-8 text.")]
    assert not Sale.objects.exists()
    assert result.batch.status == ImportBatch.Status.FAILED


def test_a_recompute_request_is_recorded_per_month_touched():
    result = _import(
        GOOD,
        "S-2,P-ACME,FW-1,C,,,,2026-10-20,sale,1,10.00,TWD,",
        "S-3,P-BETA,FW-1,C,,,,2026-11-02,sale,1,10.00,TWD,",
        "S-4,P-ACME,FW-1,C,,,,2026-12-31,sale,0,10.00,TWD,",  # rejected: no month touched
    )

    assert len(result.rejected) == 1
    assert sorted(
        RecomputeRequest.objects.filter(reason="sales imported").values_list(
            "period", "partner", "reason", "status"
        )
    ) == [
        ("2026-10", None, "sales imported", "pending"),
        ("2026-11", None, "sales imported", "pending"),
    ]


def test_a_file_of_duplicates_requests_no_recompute():
    _import(GOOD)
    before = RecomputeRequest.objects.count()

    _import(GOOD)

    assert RecomputeRequest.objects.count() == before


# The command -------------------------------------------------------------------------------------


def _command(tmp_path, content: bytes) -> tuple[str, CommandError | None]:
    path = tmp_path / "sales.csv"
    path.write_bytes(content)
    out = StringIO()
    try:
        call_command("import_sales", str(path), stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_import_sales_command_prints_the_counts_and_exits_zero_when_all_rows_are_good(tmp_path):
    content = csv_bytes(GOOD, "S-2,P-ACME,FW-1,C,,,,2026-10-20,sale,1,10.00,TWD,")

    output, error = _command(tmp_path, content)
    again, error_again = _command(tmp_path, content)

    assert (output, error) == ("created: 2\nduplicate: 0\nrejected: 0\n", None)
    assert (again, error_again) == ("created: 0\nduplicate: 2\nrejected: 0\n", None)


def test_import_sales_command_lists_rejected_rows_and_exits_non_zero(tmp_path):
    content = csv_bytes(
        GOOD,
        "X,P-NOPE,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,",
        GOOD,
        "Y,P-ACME,SW-24,C,,,,2026-10-05,sale,1,1.001,TWD,",
    )

    output, error = _command(tmp_path, content)

    assert output == (
        "created: 1\nduplicate: 1\nrejected: 2\n"
        "row 3, partner_code: unknown partner 'P-NOPE'\n"
        "row 5, net_amount: not a positive amount with at most 2 decimals\n"
    )
    assert str(error) == "2 row(s) rejected"
    assert Sale.objects.count() == 1


def test_import_sales_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_sales", str(tmp_path / "nope.csv"), stdout=StringIO())


def test_import_sales_command_exits_non_zero_for_a_file_that_is_not_utf8(tmp_path):
    output, error = _command(tmp_path, "é".encode("latin-1") + b"\n")

    assert (
        output
        == "created: 0\nduplicate: 0\nrejected: 1\nrow 1, file: The file is not UTF-8 text.\n"
    )
    assert error is not None


@pytest.mark.parametrize(
    "name",
    ['Acme, "Taiwan" Ltd', "台灣網通股份有限公司", r"\N", "NULL", "  padded  ", "line\nbreak"],
)
def test_text_cells_are_stored_verbatim(name):
    quoted = '"' + name.replace('"', '""') + '"'

    result = _import(f"S-1,P-ACME,SW-24,{quoted},,,,2026-10-05,sale,1,10.00,TWD,")

    assert (result.created, result.rejected) == (1, [])
    assert Sale.objects.get().customer_name == name.strip()
