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
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,0,100.00,TWD,",
            "quantity",
            "must be greater than zero",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,-1,100.00,TWD,",
            "quantity",
            "-1 is negative (a return is kind=return with positive figures)",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,two,100.00,TWD,",
            "quantity",
            "two is not a number",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.005,TWD,",
            "net_amount",
            "100.005 has more than 2 decimals (TWD has 2)",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,-100.00,TWD,",
            "net_amount",
            "-100.00 is negative (a return is kind=return with positive figures)",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,0,TWD,",
            "net_amount",
            "must be greater than zero",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,NaN,TWD,",
            "net_amount",
            "NaN is not a number",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,USD,",
            "currency",
            "no USD→TWD rate on or before 2026-10-05",
        ),
        (
            "X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,XYZ,",
            "currency",
            "XYZ, but the partner is invoiced in TWD",
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

    assert _rejections(result) == [(3, "quantity", "too large (at most 9,999,999,999.99)")]
    assert result.created == 1


def test_an_amount_too_large_to_store_is_rejected():
    result = _import("X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,1000000000000.00,TWD,")

    assert _rejections(result) == [(2, "net_amount", "too large (at most 999,999,999,999.99)")]


def test_currency_is_compared_case_insensitively():
    result = _import("X,P-ACME,SW-24,C,,,,2026-10-05,sale,1,100.00,twd,")

    assert (result.created, result.rejected) == (1, [])
    assert Sale.objects.get().currency == "TWD"


def test_another_currency_needs_a_rate_into_the_partners():
    # P-YEN is invoiced in JPY and no TWD→JPY rate exists: a TWD row of P-YEN is refused.
    result = _import(
        "Y-1,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100.00,TWD,",
        "Y-2,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100,JPY,",
    )

    assert _rejections(result) == [(2, "currency", "no TWD→JPY rate on or before 2026-10-05")]
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
        (2, "quantity", "must be greater than zero"),
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

    assert _rejections(result) == [(1, "file", "The file is empty.")]
    assert (result.batch.status, result.batch.error) == ("failed", "The file is empty.")


def test_a_row_that_is_not_utf8_is_rejected_and_the_utf8_rows_are_kept():
    content = csv_bytes(
        "S-1,P-ACME,SW-24,Café Ltd,,,,2026-10-05,sale,1,10.00,TWD,",
        "S-2,P-ACME,SW-24,Plain Ltd,,,,2026-10-05,sale,1,10.00,TWD,",
    )
    latin = content.decode().encode("latin-1")

    result = sales_import(content=latin, filename="latin.csv")

    assert _rejections(result) == [
        (2, "customer_name", "not UTF-8 text (save the file as CSV UTF-8)")
    ]
    assert list(Sale.objects.values_list("external_id", flat=True)) == ["S-2"]
    assert result.batch.status == ImportBatch.Status.DONE


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
        "row 5, net_amount: 1.001 has more than 2 decimals (TWD has 2)\n"
    )
    assert str(error) == "2 row(s) rejected"
    assert Sale.objects.count() == 1


def test_import_sales_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_sales", str(tmp_path / "nope.csv"), stdout=StringIO())


def test_import_sales_command_exits_non_zero_for_a_file_that_is_not_utf8(tmp_path):
    output, error = _command(tmp_path, "é".encode("latin-1") + b"\n")

    assert output == (
        "created: 0\nduplicate: 0\nrejected: 1\n"
        "row 1, file: The header row is not UTF-8 text or holds control characters; "
        "save the file as CSV UTF-8.\n"
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


# Defects found in use ----------------------------------------------------------------------------


def _rows(count: int) -> list[str]:
    return [
        f"S-{n},P-ACME,SW-24,Customer {n},,,,2026-10-05,sale,1,10.00,TWD," for n in range(count)
    ]


def test_a_nul_byte_in_one_customer_name_rejects_that_row_and_keeps_the_other_999():
    # On PostgreSQL the NUL byte reached COPY ("invalid byte sequence for encoding UTF8: 0x00"),
    # no row was kept and the batch stayed running.
    rows = _rows(1000)
    rows[500] = "S-500,P-ACME,SW-24,Bad\x00Name,,,,2026-10-05,sale,1,10.00,TWD,"

    result = sales_import(content=csv_bytes(*rows), filename="nul.csv")

    assert _rejections(result) == [(502, "customer_name", "contains a NUL byte")]
    assert (result.created, result.batch.status) == (999, "done")
    assert Sale.objects.count() == 999


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("Bell\x07Ltd", "contains a control character (U+0007)"),
        ("Esc\x1bLtd", "contains a control character (U+001B)"),
        ("C1\x85Ltd", "contains a control character (U+0085)"),
    ],
)
def test_a_control_character_rejects_its_row_naming_the_column(cell, reason):
    result = _import(GOOD, f"S-2,P-ACME,SW-24,C,,{cell},,2026-10-05,sale,1,10.00,TWD,")

    assert _rejections(result) == [(3, "segment", reason)]
    assert result.created == 1


def test_an_import_that_fails_for_any_reason_ends_failed_with_its_reason(monkeypatch):
    from commissions.services import imports
    from commissions.services.import_sql import SqlImport

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "_insert", broken)  # the Python checker's path
    monkeypatch.setattr(SqlImport, "_insert", broken)  # PostgreSQL's set-based path

    result = _import(GOOD)

    reason = (
        "The import stopped on an unexpected error and stored nothing (RuntimeError: disk on fire)."
    )
    assert (result.batch.status, result.batch.error) == ("failed", reason)
    assert _rejections(result) == [(1, "file", reason)]
    assert not Sale.objects.exists()
    assert result.batch.finished_at is not None


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (
            ["S-9,P-ACME,SW-24,C,2026-10-05,sale"],
            "row has 6 fields, the header has 13",
        ),
        (
            ["S-9,P-ACME,SW-24,C,,,,2026-10-05,sale,1,10.00,TWD,,extra"],
            "row has 14 fields, the header has 13",
        ),
    ],
)
def test_a_ragged_row_is_rejected_for_its_field_count(rows, reason):
    result = _import(GOOD, *rows)

    assert _rejections(result) == [(3, "row", reason)]
    assert result.created == 1


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        (-1827, "is more than 1826 days before today"),
        (32, "is more than 31 days after today"),
    ],
)
def test_an_invoice_date_far_from_today_is_rejected(days, reason):
    from django.utils import timezone

    date = timezone.localdate() + dt.timedelta(days=days)

    result = _import(f"S-9,P-ACME,SW-24,C,,,,{date},sale,1,10.00,TWD,")

    assert _rejections(result) == [(2, "invoice_date", f"{date} {reason}")]


def test_the_date_span_is_configurable(settings):
    from django.utils import timezone

    settings.PRM_IMPORT_MAX_PAST_DAYS = 10
    settings.PRM_IMPORT_MAX_FUTURE_DAYS = 0
    today = timezone.localdate()

    result = _import(
        f"S-1,P-ACME,SW-24,C,,,,{today - dt.timedelta(days=10)},sale,1,10.00,TWD,",
        f"S-2,P-ACME,SW-24,C,,,,{today - dt.timedelta(days=11)},sale,1,10.00,TWD,",
        f"S-3,P-ACME,SW-24,C,,,,{today + dt.timedelta(days=1)},sale,1,10.00,TWD,",
    )

    assert [(r.row, r.column) for r in result.rejected] == [
        (3, "invoice_date"),
        (4, "invoice_date"),
    ]
    assert result.created == 1


# Returns never take back more than was sold ------------------------------------------------------

SOLD = "S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,2,2000.00,TWD,"


def _return(external_id: str, quantity: str, amount: str) -> str:
    return f"{external_id},P-ACME,SW-24,C,,,,2026-10-09,return,{quantity},{amount},TWD,S-1"


def test_a_return_larger_than_its_sale_is_rejected_with_what_remains_returnable():
    result = _import(SOLD, _return("R-1", "5", "5000.00"))

    assert _rejections(result) == [
        (
            3,
            "quantity",
            "returns would exceed the original sale 'S-1' (still returnable: 2 units, 2,000.00)",
        )
    ]
    assert result.created == 1


def test_returns_over_several_rows_and_imports_stop_at_the_sale():
    _import(SOLD, _return("R-1", "1", "1000.00"))

    result = _import(_return("R-2", "0.5", "500.00"), _return("R-3", "0.5", "600.00"))

    assert _rejections(result) == [
        (
            3,
            "net_amount",
            "returns would exceed the original sale 'S-1' (still returnable: 0.5 units, 500.00)",
        )
    ]
    assert sorted(Sale.objects.filter(kind="return").values_list("external_id", flat=True)) == [
        "R-1",
        "R-2",
    ]


def test_returns_may_take_back_the_whole_sale_exactly():
    result = _import(SOLD, _return("R-1", "1", "1000.00"), _return("R-2", "1", "1000.00"))

    assert (result.created, result.rejected) == (3, [])


def test_a_reimported_return_is_a_duplicate_not_an_excess():
    _import(SOLD, _return("R-1", "2", "2000.00"))

    result = _import(SOLD, _return("R-1", "2", "2000.00"))

    assert (result.created, result.duplicates, result.rejected) == (0, 2, [])


def test_the_returnable_check_is_one_query_per_chunk_not_per_row(django_assert_max_num_queries):
    _import(*[f"S-{n},P-ACME,SW-24,C,,,,2026-10-05,sale,2,20.00,TWD," for n in range(200)])
    returns = [f"R-{n},P-ACME,SW-24,C,,,,2026-10-09,return,1,10.00,TWD,S-{n}" for n in range(200)]

    with django_assert_max_num_queries(25):
        result = _import(*returns)

    assert result.created == 200


def test_the_import_signals_its_created_sales_inside_its_transaction():
    from django.db import connection

    from commissions.signals import sales_imported

    seen = []

    def receiver(sender, *, batch_id, sales, **kwargs):
        seen.append((batch_id, [s["external_id"] for s in sales], connection.in_atomic_block))

    sales_imported.connect(receiver)
    try:
        result = _import(GOOD, GOOD.replace("S-1,", "S-2,"))
    finally:
        sales_imported.disconnect(receiver)

    assert seen == [(result.batch.pk, ["S-1", "S-2"], True)]


def test_a_receiver_error_rolls_the_import_back():
    from commissions.signals import sales_imported

    def receiver(sender, **kwargs):
        raise RuntimeError("receiver failed")

    sales_imported.connect(receiver)
    try:
        _import(GOOD)
    finally:
        sales_imported.disconnect(receiver)

    assert not Sale.objects.exists()
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED
