"""The set-based import (PostgreSQL) against the Python checker: the same hostile files give the
same rejections (row, column, reason), the same counts and the same stored rows.

Each file runs through both paths from the same database state (a savepoint rolled back in
between): the bad-input corpus, and files that reach the corners of the SQL path (values only
Python's repr() and upper() quote right, numbers too long to cast, returns that overflow their
original one after another, blocks read by the csv reader and blocks sent as they are)."""

from __future__ import annotations

import codecs
from decimal import Decimal

import pytest
from django.db import connection, transaction

from commissions.models import ImportRejection, Sale
from commissions.services import imports

from .builders import COLUMNS, load, plan, program
from .test_bad_input import CASES, G1, G2, row

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]


def _file(*rows: str, eol: str = "\n", header: str = COLUMNS) -> bytes:
    return (eol.join([header, *rows]) + eol).encode()


def ret(external_id: str, quantity: str, amount: str, original: str, day: str = "09") -> str:
    return (
        f"{external_id},P-ACME,SW-24,C,,,,2026-10-{day},return,{quantity},{amount},TWD,{original}"
    )


EXTRA = {
    "duplicates in the file and in the database": _file(
        G1, G1, "D-1,P-ACME,SW-24,Old,,,,2026-10-05,sale,1,1.00,TWD,", G2, G1
    ),
    "a return before its sale under the same id": _file(
        ret("G-9", "1", "1.00", "D-1"), row(external_id="G-9"), G1
    ),
    "returns that overflow one after another": _file(
        "S-9,P-ACME,SW-24,C,,,,2026-10-05,sale,10,1000.00,TWD,",
        ret("R-1", "6", "100.00", "S-9"),
        ret("R-2", "6", "100.00", "S-9"),
        ret("R-3", "3", "100.00", "S-9"),
        ret("R-4", "1", "900.00", "S-9"),
        ret("R-5", "1", "0.50", "D-1"),
        ret("R-6", "5", "1.00", "D-1"),
        ret("R-7", "1", "1.00", "NOPE'S"),
        ret("R-8", "1", "1.00", "Q\"U'OTE"),
        ret("R-9", "1", "1.00", "R-1"),
        ret("R-10", "1", "1.00", "S-9", day="01"),
    ),
    "values quoted by repr and upper": _file(
        row(external_id="U-1", partner_code="P-ÄCME"),
        row(external_id="U-2", sku='"SW\u200b24"'),
        row(external_id="U-3", currency="ſgd"),
        row(external_id="U-4", currency="twd"),
        row(external_id="U-5", partner_code="P\\ACME"),
        row(external_id="U-6", sku="'SW-24'"),
        row(external_id="U-7", partner_code='"P\tX"'),
        row(external_id="U-8", currency="ＴＷＤ"),
        ret("U-9", "1", "1.00", "Ｓ-1"),
        row(external_id="U-10", partner_code="P-ACME\u00a0"),
        row(external_id="U-11", customer_name=" \u3000Padded Ltd\u3000"),
    ),
    "numbers at their limits": _file(
        row(external_id="N-1", quantity="0" * 60 + "1"),
        row(external_id="N-2", net_amount="9" * 2000),
        row(external_id="N-3", net_amount='"1,234,567.50"'),
        row(external_id="N-4", quantity="1e3"),
        row(external_id="N-5", quantity="-0"),
        row(external_id="N-6", quantity="+.5"),
        row(external_id="N-7", net_amount="10.005"),
        row(external_id="N-8", quantity="9999999999.99"),
        row(external_id="N-9", quantity="10000000000"),
        row(external_id="N-10", net_amount="5."),
        "N-11,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100.5,JPY,",
        "N-12,P-YEN,SW-24,C,,,,2026-10-05,sale,1,100,jpy,",
    ),
    "other currencies, their rates and their returns": _file(
        "C-1,P-ACME,SW-24,C,,,,2026-10-03,sale,2,100.01,USD,",
        "C-2,P-ACME,SW-24,C,,,,2026-10-04,sale,1,100.01,usd,",
        "C-3,P-ACME,SW-24,C,,,,2026-09-30,sale,1,100.00,USD,",
        "C-4,P-ACME,SW-24,C,,,,2026-10-05,sale,1,10.00,HKD,",
        "C-5,P-YEN,SW-24,C,,,,2026-10-05,sale,1,1.00,USD,",
        "C-6,P-YEN,SW-24,C,,,,2026-10-05,sale,1,1.005,USD,",
        "C-7,P-ACME,SW-24,C,,,,2026-10-05,sale,1,1.00,XYZ,",
        ret("C-8", "1", "40.00", "C-1").replace(",TWD,", ",USD,"),
        ret("C-9", "1", "70.00", "C-1").replace(",TWD,", ",USD,"),
        ret("C-10", "1", "1.00", "C-1"),
        ret("C-11", "1", "1.00", "S-1").replace(",TWD,", ",USD,"),
        ret("C-12", "1", "10.00", "U-0").replace(",TWD,", ",USD,"),
        ret("C-13", "1", "1.00", "C-5").replace("P-ACME", "P-YEN").replace(",TWD,", ",USD,"),
        "C-14,P-ACME,SW-24,C,,,,2026-10-03,sale,1,7.5,HKD,",
    ),
    "dates": _file(
        row(external_id="T-1", invoice_date="2026-02-29"),
        row(external_id="T-2", invoice_date="2024-02-29"),
        row(external_id="T-3", invoice_date="0000-01-01"),
        row(external_id="T-4", invoice_date="2026-13-01"),
        row(external_id="T-5", invoice_date="1999-12-31"),
        row(external_id="T-6", invoice_date="2999-01-01"),
        row(external_id="T-7", invoice_date="2026-10-5"),
        row(external_id="T-8", invoice_date="2026-10-05 "),
    ),
    "quoted, padded and multi-line cells": _file(
        '"Q-1"," P-ACME ",SW-24,"Multi\nline, Ltd",,,,2026-10-05,sale,1,10.00,TWD,',
        " Q-2 ,P-ACME,SW-24,C,,,,2026-10-05,sale,\t1\t,10.00,TWD,",
        '"Q-3,P-ACME,SW-24,C,,,,2026-10-05,sale,1,10.00,TWD,',
        G1,
        "",
        ",,,,,,,,,,,,",
        "  ,  ,",
        G2,
    ),
    "lone carriage returns": _file(G1, row(external_id="L-1"), G2, eol="\r"),
    "CRLF with a stray LF": _file(G1, row(external_id="L-2"), G2, eol="\r\n")
    + b"L-3,P-ACME,SW-24,C,,,,2026-10-05,sale,1,10.00,TWD,\n",
    "UTF-16 with Chinese names": codecs.BOM_UTF16_LE
    + _file(G1, row(external_id="W-1", customer_name="台灣網通"), G2).decode().encode("utf-16-le"),
    "an unknown column and a missing optional one": _file(
        "G-1,P-ACME,SW-24,Good One,x,2026-10-05,sale,2,2000.00,TWD,",
        "G-2,P-ACME,SW-24,,x,2026-10-05,sale,2,2000.00,TWD,",
        header="external_id,partner_code,sku,customer_name,note,invoice_date,kind,quantity,"
        "net_amount,currency,original_external_id",
    ),
    "a control character in a header-less column": _file(
        row(external_id="K-1") + ",\x07", G1 + ",", header=COLUMNS + ","
    ),
    "bytes that are not UTF-8 across a block": _file(G1)
    + b"B-1,P-ACME,SW-24,\xe4\xb8,,,,2026-10-05,sale,1,10.00,TWD,\n"
    + _file(G2, header=row(external_id="B-2")),
}


@pytest.fixture(autouse=True)
def _program(db):
    load(
        program(
            commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})],
            exchange_rates=[
                {"from": "USD", "to": "TWD", "date": "2026-10-01", "rate": "31.50"},
                {"from": "USD", "to": "TWD", "date": "2026-10-04", "rate": "32.00"},
                {"from": "HKD", "to": "TWD", "date": "2026-10-01", "rate": "4.0555"},
                {"from": "USD", "to": "JPY", "date": "2026-10-01", "rate": "150.50"},
            ],
        )
    )
    imports.sales_import(
        content=_file(
            "D-1,P-ACME,SW-24,Old,,,,2026-10-05,sale,4,4.00,TWD,",
            "S-1,P-ACME,SW-24,Old,,,,2026-10-05,sale,1,1.00,TWD,",
            # Converted at 31.50; its returns convert at that rate after the change to 32.00.
            "U-0,P-ACME,SW-24,Old,,,,2026-10-02,sale,3,30.00,USD,",
        ),
        filename="before.csv",
    )


def _outcome(content: bytes, *, sql: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(imports, "SQL_CHECKS", sql)
    savepoint = transaction.savepoint()
    try:
        result = imports.sales_import(content=content, filename="differential.csv")
        batch = result.batch
        stored = list(
            Sale.objects.filter(batch=batch)
            .order_by("external_id")
            .values_list(
                "external_id",
                "partner__code",
                "product__sku",
                "customer_name",
                "customer_tax_id",
                "segment",
                "territory",
                "invoice_date",
                "kind",
                "quantity",
                "net_amount",
                "currency",
                "original_amount",
                "original_currency",
                "exchange_rate",
                "rate_date",
                "original__external_id",
            )
        )
        recorded = list(
            ImportRejection.objects.filter(batch=batch)
            .order_by("row_number", "id")
            .values_list("row_number", "column", "reason")
        )
        return (
            (batch.status, batch.error, batch.total_rows, batch.processed_rows),
            (result.created, result.duplicates),
            (batch.created_count, batch.duplicate_count, batch.rejected_count),
            [(r.row, r.column, r.reason) for r in result.rejected],
            recorded,
            stored,
        )
    finally:
        transaction.savepoint_rollback(savepoint)


FILES = [
    *[pytest.param(param.values[0].bytes(), id=param.id) for param in CASES],
    *[pytest.param(content, id=name) for name, content in EXTRA.items()],
]


@pytest.mark.parametrize("content", FILES)
def test_the_sql_path_and_the_python_checker_agree(content: bytes, monkeypatch):
    python = _outcome(content, sql=False, monkeypatch=monkeypatch)
    sql = _outcome(content, sql=True, monkeypatch=monkeypatch)

    assert sql == python


@pytest.mark.parametrize("content", [pytest.param(c, id=n) for n, c in EXTRA.items()])
def test_the_paths_agree_when_blocks_cut_lines_and_characters(content: bytes, monkeypatch):
    """Blocks of 5 bytes: every line, quote, line break and UTF-8 character is cut somewhere."""
    from commissions.services import import_stream

    python = _outcome(content, sql=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(import_stream, "BLOCK", 5)
    sql = _outcome(content, sql=True, monkeypatch=monkeypatch)

    assert sql == python


def test_the_files_reach_the_corners_they_are_meant_to(monkeypatch):
    """The extra files are not vacuous: they reject, store and count duplicates."""
    outcomes = {
        name: _outcome(content, sql=True, monkeypatch=monkeypatch)
        for name, content in EXTRA.items()
    }

    reasons = [reason for outcome in outcomes.values() for _, _, reason in outcome[3]]
    assert any(reason.startswith("returns would exceed") for reason in reasons)
    assert "unknown partner 'P-ÄCME'" in reasons
    assert "no sale 'Ｓ-1'" in reasons
    assert any("has thousands separators" in reason for reason in reasons)
    assert outcomes["duplicates in the file and in the database"][1] == (2, 3)
    assert "no USD→TWD rate on or before 2026-09-30" in reasons
    assert "the original sale was invoiced in USD" in reasons
    converted = {
        row[0]: (row[10], row[12], row[14])
        for row in outcomes["other currencies, their rates and their returns"][5]
    }
    # 100.01 × 31.50 = 3,150.315 → 3,150.32; 100.01 × 32.00 = 3,200.32; 10.00 × 4.0555 = 40.555
    # → 40.56; 1.00 × 150.50 = 150.5 → 151 JPY; the return of 40.00 at C-1's 31.50 = 1,260.00;
    # 10.00 USD back of U-0 at its 31.50 = 315.00
    assert converted["C-1"] == (Decimal("3150.32"), Decimal("100.01"), Decimal("31.5"))
    assert converted["C-2"][0] == Decimal("3200.32")
    assert converted["C-4"][0] == Decimal("40.56")
    assert converted["C-5"][0] == Decimal("151")
    assert converted["C-8"] == (Decimal("1260.00"), Decimal("40.00"), Decimal("31.5"))
    assert converted["C-12"] == (Decimal("315.00"), Decimal("10.00"), Decimal("31.5"))
