"""The bad-input corpus for the sales CSV (issue 11, the proof: "bad input never costs good
data"). Each case is a file with good rows around the bad input, its expected counts and the
reason of every rejected row; every good row of every file must be stored.

Good rows are the external ids starting with G-; the header is row 1, the first good row row 2."""

from __future__ import annotations

import codecs
import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from commissions.models import ImportBatch, Sale
from commissions.services.imports import sales_import

from .builders import COLUMNS, load, plan, program

pytestmark = pytest.mark.django_db

G1 = "G-1,P-ACME,SW-24,Good One,,,,2026-10-05,sale,2,2000.00,TWD,"
G2 = "G-2,P-ACME,SW-24,Good Two,,,,2026-10-06,sale,1,1000.00,TWD,"


def row(**cells: str) -> str:
    """A row X that is good except for the cells given."""
    values = dict(
        zip(
            COLUMNS.split(","),
            [
                "X",
                "P-ACME",
                "SW-24",
                "C",
                "",
                "",
                "",
                "2026-10-05",
                "sale",
                "1",
                "10.00",
                "TWD",
                "",
            ],
            strict=True,
        )
    )
    values.update(cells)
    return ",".join(values.values())


def text(*rows: str, header: str = COLUMNS, eol: str = "\n") -> str:
    return eol.join([header, *rows]) + eol


def around(bad: str, **kw) -> bytes:
    """G-1, the bad row (row 3), G-2."""
    return text(G1, bad, G2, **kw).encode()


@dataclass
class Case:
    content: bytes | str
    created: int = 2
    duplicates: int = 0
    rejected: list[tuple[int, str, str]] | None = None
    failed: str = ""  # the reason a file refused as a whole ends failed with

    def bytes(self) -> bytes:
        if isinstance(self.content, str):
            today = timezone.localdate()
            return self.content.format(
                past=today - dt.timedelta(days=1826),
                too_past=today - dt.timedelta(days=1827),
                future=today + dt.timedelta(days=31),
                too_future=today + dt.timedelta(days=32),
            ).encode()
        return self.content


def bad(content, column: str, reason: str, *, created: int = 2, number: int = 3) -> Case:
    return Case(content, created=created, rejected=[(number, column, reason)])


def refused(content, reason: str) -> Case:
    return Case(content, created=0, failed=reason)


NOT_UTF8 = "not UTF-8 text (save the file as CSV UTF-8)"
NUL = "contains a NUL byte"
BIG5_NAME = "台灣網通".encode("cp950")

ENCODINGS = {
    "UTF-8 with a byte-order mark": Case(
        codecs.BOM_UTF8 + around(row(external_id="G-3")), created=3
    ),
    "UTF-8 Chinese and emoji": Case(
        around(row(external_id="G-3", customer_name="台灣網通股份有限公司 🚀")), created=3
    ),
    "UTF-16 LE with a byte-order mark": Case(
        codecs.BOM_UTF16_LE
        + text(G1, row(external_id="G-3", customer_name="網通"), G2).encode("utf-16-le"),
        created=3,
    ),
    "UTF-16 BE with a byte-order mark": Case(
        codecs.BOM_UTF16_BE + text(G1, G2).encode("utf-16-be")
    ),
    "UTF-16 without a byte-order mark": refused(
        text(G1, G2).encode("utf-16-le"),
        "The header holds NUL bytes: the file looks like UTF-16 text without a byte-order mark. "
        "Save it as CSV UTF-8.",
    ),
    "Big5 / CP950 bytes in one name": bad(
        text(G1, "@", G2)
        .encode()
        .replace(b"@", row().encode().replace(b",C,", b"," + BIG5_NAME + b",")),
        "customer_name",
        NOT_UTF8,
    ),
    "a whole CP950 file: its ASCII rows are kept": Case(
        text(
            G1,
            row(external_id="B-1", customer_name="台灣網通"),
            row(external_id="B-2", customer_name="港灣數碼"),
            G2,
        ).encode("cp950"),
        rejected=[(3, "customer_name", NOT_UTF8), (4, "customer_name", NOT_UTF8)],
    ),
    "Latin-1 bytes": bad(
        around(row(customer_name="Café")).replace("Café".encode(), "Café".encode("latin-1")),
        "customer_name",
        NOT_UTF8,
    ),
    "a byte that is not UTF-8 in an external id": bad(
        around(row(external_id="X\udcff").replace("\udcff", "")).replace(b"X,", b"X\xff,", 1),
        "external_id",
        NOT_UTF8,
    ),
    "an encoded surrogate (CESU-8)": bad(
        around(row(customer_name="A@B")).replace(b"A@B", b"A\xed\xa0\x80B"),
        "customer_name",
        NOT_UTF8,
    ),
    "a multi-byte character cut short at the end": bad(
        text(G1, G2).encode() + row(customer_name="@").encode().replace(b"@", "網".encode()[:2]),
        "customer_name",
        NOT_UTF8,
        number=4,
    ),
    "a header that is not UTF-8": refused(
        ("caf\xe9," + COLUMNS + "\n" + G1 + "\n").encode("latin-1"),
        "The header row is not UTF-8 text or holds control characters; save the file as CSV UTF-8.",
    ),
    "NUL byte in a customer name": bad(
        around(row(customer_name="Bad\x00Name")), "customer_name", NUL
    ),
    "NUL byte in an external id": bad(around(row(external_id="X\x00")), "external_id", NUL),
    "NUL byte in a quantity": bad(around(row(quantity="1\x00")), "quantity", NUL),
    "NUL byte alone in a cell": bad(around(row(segment="\x00")), "segment", NUL),
    "BEL control character": bad(
        around(row(customer_name="A\x07")), "customer_name", "contains a control character (U+0007)"
    ),
    "ESC control character": bad(
        around(row(customer_name="\x1b[31mred")),
        "customer_name",
        "contains a control character (U+001B)",
    ),
    "DEL character": bad(
        around(row(territory="TW\x7f")), "territory", "contains a control character (U+007F)"
    ),
    "form feed": bad(
        around(row(customer_tax_id="1\x0c2")),
        "customer_tax_id",
        "contains a control character (U+000C)",
    ),
    "vertical tab": bad(
        around(row(customer_name="A\x0bB")),
        "customer_name",
        "contains a control character (U+000B)",
    ),
    "C1 control character (NEL)": bad(
        around(row(customer_name="A\x85B")),
        "customer_name",
        "contains a control character (U+0085)",
    ),
    "a tab inside a name is text": Case(
        around(row(external_id="G-3", customer_name="A\tB")), created=3
    ),
}

STRUCTURE = {
    "CRLF line endings": Case(text(G1, G2, eol="\r\n").encode()),
    "CR line endings": Case(text(G1, G2, eol="\r").encode()),
    "mixed line endings": Case((COLUMNS + "\r\n" + G1 + "\n" + G2 + "\r\n").encode()),
    "BOM and CRLF together": Case(codecs.BOM_UTF8 + text(G1, G2, eol="\r\n").encode()),
    "no newline at the end": Case((COLUMNS + "\n" + G1 + "\n" + G2).encode()),
    "blank lines between rows keep their numbers": Case(
        (COLUMNS + "\n" + G1 + "\n\n\n" + row(quantity="0") + "\n" + G2 + "\n").encode(),
        rejected=[(5, "quantity", "must be greater than zero")],
    ),
    "a line of spaces and a line of commas are not rows": Case(
        (COLUMNS + "\n" + G1 + "\n   \n" + "," * 12 + "\n" + G2 + "\n").encode()
    ),
    "too few fields": bad(
        around("S-9,P-ACME,SW-24,C,2026-10-05,sale"), "row", "row has 6 fields, the header has 13"
    ),
    "one field": bad(around("lonely"), "row", "row has 1 fields, the header has 13"),
    "too many fields": bad(around(row() + ",extra"), "row", "row has 14 fields, the header has 13"),
    "a trailing comma": bad(around(row() + ","), "row", "row has 14 fields, the header has 13"),
    "a quoted newline in a name is kept": Case(
        around(row(external_id="G-3", customer_name='"Line one\nLine two"')), created=3
    ),
    "a quoted comma and doubled quotes": Case(
        around(row(external_id="G-3", customer_name='"Acme, ""Taiwan"" Ltd"')), created=3
    ),
    "a quote never closed in the last row": bad(
        text(G1, G2, row(customer_name='"Unclosed'), G2.replace("G-2", "Y-1")).encode(),
        "row",
        "row has 4 fields, the header has 13 (a quote opened in it is not closed before line 2 "
        "of it)",
        number=4,
    ),
    "duplicate header": refused(
        text(G1, header=COLUMNS + ",quantity").encode(),
        "The column quantity appears twice in the header.",
    ),
    "missing required header": refused(
        text(G1, header=COLUMNS.replace("sku,", "")).encode(), "Missing columns: sku."
    ),
    "header only": refused(text().encode(), "The file has a header row but no rows of sales."),
    "header and blank lines only": refused(
        (COLUMNS + "\n\n\n").encode(), "The file has a header row but no rows of sales."
    ),
    "empty file": refused(b"", "The file is empty."),
    "only newlines and spaces": refused(b"\n \r\n", "The file is empty."),
    "columns in another order": Case(
        b"sku,external_id,partner_code,customer_name,customer_tax_id,segment,territory,"
        b"invoice_date,kind,quantity,net_amount,currency,original_external_id\n"
        b"SW-24,G-1,P-ACME,C,,,,2026-10-05,sale,1,10.00,TWD,\n"
        b"SW-24,G-2,P-ACME,C,,,,2026-10-05,sale,1,10.00,TWD,\n"
    ),
    "an extra column the contract does not know": Case(
        text(G1 + ",note", G2 + ",note", header=COLUMNS + ",remarks").encode()
    ),
    "the same external id twice in the file": Case(around(G1), duplicates=1),
    "a name longer than the column": bad(
        around(row(customer_name="N" * 256)), "customer_name", "longer than 255 characters"
    ),
    "a 200 KB cell (beyond the CSV reader's own limit)": bad(
        around(row(customer_name="N" * 200_000)), "customer_name", "longer than 255 characters"
    ),
    "an external id longer than the column": bad(
        around(row(external_id="E" * 65)), "external_id", "longer than 64 characters"
    ),
    "a territory longer than the column": bad(
        around(row(territory="T" * 11)), "territory", "longer than 10 characters"
    ),
    "a tax id longer than the column": bad(
        around(row(customer_tax_id="1" * 33)), "customer_tax_id", "longer than 32 characters"
    ),
    "a formula cell is stored as text": Case(
        around(row(external_id="G-3", customer_name='"=HYPERLINK(""http://evil"",""x"")"')),
        created=3,
    ),
    "cells starting with + - @ are stored as text": Case(
        text(
            G1,
            row(external_id="G-3", customer_name="+cmd"),
            row(external_id="G-4", customer_name="-2+3"),
            row(external_id="G-5", customer_name="@SUM(A1)"),
            G2,
        ).encode(),
        created=5,
    ),
    "unknown partner": bad(
        around(row(partner_code="P-NOPE")), "partner_code", "unknown partner 'P-NOPE'"
    ),
    "unknown SKU": bad(around(row(sku="XX-1")), "sku", "unknown SKU 'XX-1'"),
    "unknown kind": bad(around(row(kind="refund")), "kind", "must be sale or return"),
}

NUMBERS = {
    "exponent in a quantity": bad(
        around(row(quantity="1e3")),
        "quantity",
        "1e3 is in exponent notation; write the number in full",
    ),
    "exponent in an amount": bad(
        around(row(net_amount="1E+3")),
        "net_amount",
        "1E+3 is in exponent notation; write the number in full",
    ),
    "NaN": bad(around(row(quantity="NaN")), "quantity", "NaN is not a number"),
    "Infinity": bad(around(row(net_amount="Infinity")), "net_amount", "Infinity is not a number"),
    "-Infinity": bad(
        around(row(net_amount="-Infinity")), "net_amount", "-Infinity is not a number"
    ),
    "inf": bad(around(row(quantity="inf")), "quantity", "inf is not a number"),
    "thousands separators": bad(
        around(row(net_amount='"1,000.00"')),
        "net_amount",
        "1,000.00 has thousands separators; write 1000.00",
    ),
    "space as thousands separator": bad(
        around(row(net_amount="1 000.00")), "net_amount", "1 000.00 is not a number"
    ),
    "decimal comma": bad(around(row(net_amount='"10,5"')), "net_amount", "10,5 is not a number"),
    "currency symbol": bad(
        around(row(net_amount="NT$100")), "net_amount", "NT$100 is not a number"
    ),
    "full-width digits": bad(around(row(quantity="１０")), "quantity", "１０ is not a number"),
    "hexadecimal": bad(around(row(quantity="0x10")), "quantity", "0x10 is not a number"),
    "three decimals in an amount": bad(
        around(row(net_amount="10.005")),
        "net_amount",
        "10.005 has more than 2 decimals (TWD has 2)",
    ),
    "three decimals in a quantity": bad(
        around(row(quantity="1.005")),
        "quantity",
        "1.005 has more than 2 decimals (a quantity has 2)",
    ),
    "decimals in a currency without a minor unit": bad(
        around(row(partner_code="P-YEN", currency="JPY", net_amount="100.5")),
        "net_amount",
        "100.5 has decimals, and JPY has none",
    ),
    "negative quantity": bad(
        around(row(quantity="-1")),
        "quantity",
        "-1 is negative (a return is kind=return with positive figures)",
    ),
    "negative amount": bad(
        around(row(net_amount="-10.00")),
        "net_amount",
        "-10.00 is negative (a return is kind=return with positive figures)",
    ),
    "zero quantity": bad(around(row(quantity="0")), "quantity", "must be greater than zero"),
    "zero amount": bad(around(row(net_amount="0.00")), "net_amount", "must be greater than zero"),
    "empty quantity": bad(around(row(quantity="")), "quantity", "required"),
    "huge quantity": bad(
        around(row(quantity="99999999999999999999")),
        "quantity",
        "too large (at most 9,999,999,999.99)",
    ),
    "huge amount": bad(
        around(row(net_amount="1000000000000.00")),
        "net_amount",
        "too large (at most 999,999,999,999.99)",
    ),
    "a number of ten thousand digits": bad(
        around(row(net_amount="9" * 10_000)), "net_amount", "too large (at most 999,999,999,999.99)"
    ),
    "the largest amount the column holds": Case(
        around(row(external_id="G-3", net_amount="999999999999.99")), created=3
    ),
    "signs, leading points and padding": Case(
        text(
            G1,
            row(external_id="G-3", quantity="+5"),
            row(external_id="G-4", quantity=".5"),
            row(external_id="G-5", net_amount="  10.00  "),
            G2,
        ).encode(),
        created=5,
    ),
    "whole-number amounts in a currency without a minor unit": Case(
        around(row(external_id="G-3", partner_code="P-YEN", currency="jpy", net_amount="100")),
        created=3,
    ),
}

DATES = {
    "1900-01-01": bad(
        around(row(invoice_date="1900-01-01")),
        "invoice_date",
        "1900-01-01 is more than 1826 days before today",
    ),
    "9999-12-31": bad(
        around(row(invoice_date="9999-12-31")),
        "invoice_date",
        "9999-12-31 is more than 31 days after today",
    ),
    "the last day of the span on each side": Case(
        text(
            G1,
            row(external_id="G-3", invoice_date="{past}"),
            row(external_id="G-4", invoice_date="{future}"),
            G2,
        ),
        created=4,
    ),
    "one day past the span on each side": Case(
        text(
            G1,
            row(external_id="B-1", invoice_date="{too_past}"),
            row(external_id="B-2", invoice_date="{too_future}"),
            G2,
        ),
        rejected=[
            (3, "invoice_date", "{too_past} is more than 1826 days before today"),
            (4, "invoice_date", "{too_future} is more than 31 days after today"),
        ],
    ),
    "30 February": bad(
        around(row(invoice_date="2026-02-30")), "invoice_date", "not a date (YYYY-MM-DD)"
    ),
    "day first": bad(
        around(row(invoice_date="05/10/2026")), "invoice_date", "not a date (YYYY-MM-DD)"
    ),
    "with a time": bad(
        around(row(invoice_date="2026-10-05T10:00")), "invoice_date", "not a date (YYYY-MM-DD)"
    ),
    "ISO week date": bad(
        around(row(invoice_date="2026-W41-1")), "invoice_date", "not a date (YYYY-MM-DD)"
    ),
    "no date": bad(around(row(invoice_date="")), "invoice_date", "not a date (YYYY-MM-DD)"),
    "a spreadsheet serial number": bad(
        around(row(invoice_date="46300")), "invoice_date", "not a date (YYYY-MM-DD)"
    ),
}

RETURN = "R-{n},P-ACME,SW-24,C,,,,2026-10-09,return,{q},{a},TWD,{o}"


def ret(n: int, q: str, a: str, o: str = "G-1") -> str:
    return RETURN.format(n=n, q=q, a=a, o=o)


RETURNS = {
    "more units than were sold": bad(
        around(ret(1, "5", "500.00")),
        "quantity",
        "returns would exceed the original sale 'G-1' (still returnable: 2 units, 2,000.00)",
    ),
    "more money than was sold": bad(
        around(ret(1, "1", "5000.00")),
        "net_amount",
        "returns would exceed the original sale 'G-1' (still returnable: 2 units, 2,000.00)",
    ),
    "two returns that together exceed the sale": Case(
        text(G1, ret(1, "1", "1000.00"), ret(2, "2", "2000.00"), G2).encode(),
        created=3,
        rejected=[
            (
                4,
                "quantity",
                "returns would exceed the original sale 'G-1' (still returnable: 1 unit, 1,000.00)",
            )
        ],
    ),
    "returns that take back the whole sale exactly": Case(
        text(G1, ret(1, "1", "1000.00"), ret(2, "1", "1000.00"), G2).encode(), created=4
    ),
    "a return before its sale in the file": Case(
        text(ret(1, "1", "1000.00"), G1, G2).encode(), created=3
    ),
    "a return of an unknown sale": bad(
        around(ret(1, "1", "1.00", "NOPE")), "original_external_id", "no sale 'NOPE'"
    ),
    "a return of a return": Case(
        text(G1, ret(1, "1", "1.00"), ret(2, "1", "1.00", "R-1"), G2).encode(),
        created=3,
        rejected=[(4, "original_external_id", "the original is itself a return")],
    ),
    "a return dated before its sale": bad(
        around(ret(1, "1", "1.00").replace("2026-10-09", "2026-10-01")),
        "original_external_id",
        "dated before the original sale",
    ),
    "a return of another SKU": bad(
        around(ret(1, "1", "1.00").replace("SW-24", "FW-1")),
        "original_external_id",
        "the original sale is of another SKU",
    ),
    "a return of another partner's sale": bad(
        around(ret(1, "1", "1.00").replace("P-ACME", "P-BETA")),
        "original_external_id",
        "the original sale belongs to another partner",
    ),
    "a return without its original": bad(
        around(ret(1, "1", "1.00", "")), "original_external_id", "required for a return"
    ),
}

GROUPS = {
    "sales CSV: encodings and characters": ENCODINGS,
    "sales CSV: structure": STRUCTURE,
    "sales CSV: numbers": NUMBERS,
    "sales CSV: dates": DATES,
    "sales CSV: returns": RETURNS,
}
CASES = [
    pytest.param(case, id=name, marks=pytest.mark.reliability("bad input", group))
    for group, cases in GROUPS.items()
    for name, case in cases.items()
]


@pytest.fixture(autouse=True)
def _program(db):
    load(program(commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})]))


def _fill(reason: str) -> str:
    today = timezone.localdate()
    return reason.format(
        too_past=today - dt.timedelta(days=1827), too_future=today + dt.timedelta(days=32)
    )


@pytest.mark.parametrize("case", CASES)
def test_bad_input_costs_no_good_row(case: Case):
    result = sales_import(content=case.bytes(), filename="corpus.csv")

    batch = result.batch
    if case.failed:
        assert (batch.status, batch.error) == ("failed", case.failed)
        assert [(r.row, r.column, r.reason) for r in result.rejected] == [
            (1, result.rejected[0].column, case.failed)
        ]
        assert not Sale.objects.exists()
        return
    expected = [(n, column, _fill(reason)) for n, column, reason in case.rejected or []]
    assert [(r.row, r.column, r.reason) for r in result.rejected] == expected
    assert (result.created, result.duplicates) == (case.created, case.duplicates)
    assert batch.status == ImportBatch.Status.DONE
    assert (batch.created_count, batch.duplicate_count, batch.rejected_count) == (
        case.created,
        case.duplicates,
        len(expected),
    )
    stored = set(Sale.objects.values_list("external_id", flat=True))
    assert {"G-1", "G-2"} <= stored  # every good row is kept
    assert len(stored) == case.created


# The upload form (page and API) ------------------------------------------------------------------

FORM_REFUSED = {
    "a file over 50 MB": ("big.csv", None, "The file is larger than 50 MB."),
    "a workbook named .xlsx": ("sales.xlsx", b"PK\x03\x04rest", "Upload a .csv file."),
    "a workbook renamed .csv": (
        "sales.csv",
        b"PK\x03\x04rest",
        "This is a spreadsheet workbook, not a CSV file: save it as CSV UTF-8.",
    ),
    "an old Excel workbook renamed .csv": (
        "sales.csv",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "This is a spreadsheet workbook, not a CSV file: save it as CSV UTF-8.",
    ),
    "an empty upload": ("sales.csv", b"", "The submitted file is empty."),
}


@pytest.mark.reliability("bad input", "sales CSV: upload form")
@pytest.mark.parametrize(
    ("name", "content", "reason"), FORM_REFUSED.values(), ids=list(FORM_REFUSED)
)
def test_the_upload_form_refuses_a_file_with_a_clear_message_and_stores_nothing(
    name, content, reason
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from commissions.forms import MAX_UPLOAD_BYTES, SalesImportForm

    if content is None:
        content = text(G1).encode().ljust(MAX_UPLOAD_BYTES + 1, b"\n")
    form = SalesImportForm(files={"file": SimpleUploadedFile(name, content, "text/csv")})

    assert not form.is_valid()
    assert form.errors["file"] == [reason]
    assert not ImportBatch.objects.exists()


@pytest.mark.reliability("bad input", "sales CSV: upload form")
def test_a_nul_byte_uploaded_through_the_api_costs_only_its_row(client, vendor_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(vendor_admin)
    content = text(G1, row(customer_name="Bad\x00Name"), G2).encode()

    body = client.post(
        reverse("api:sales-import"), {"file": SimpleUploadedFile("nul.csv", content, "text/csv")}
    ).json()

    assert (body["status"], body["created"]) == ("done", 2)
    assert body["rejected_rows"] == [{"row": 3, "column": "customer_name", "reason": NUL}]
