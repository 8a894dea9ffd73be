"""The set-based purchases import (PostgreSQL) against the Python checker: the same hostile files
give the same rejections (row, column, reason), the same counts and the same stored lines.

Each file runs through both paths from the same database state (a savepoint rolled back in
between), once with the normal blocks and once with blocks of 5 bytes, so that every line,
quote and UTF-8 character is cut somewhere."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from commissions.models import ExchangeRate
from commissions.services import import_stream
from funds import purchases
from funds.models import PurchaseInvoiceLine, PurchaseRejection
from tests.agreements.factories import ProductFactory
from tests.factories import PartnerFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]

HEADER = "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency"


def day(offset: int = 3) -> str:
    return (timezone.localdate() - dt.timedelta(days=offset)).isoformat()


def row(
    invoice="INV-1",
    line="1",
    partner="P-A",
    sku="SW-24",
    date=None,
    quantity="10",
    price="900.00",
    currency="TWD",
) -> str:
    return ",".join([invoice, line, partner, sku, date or day(), quantity, price, currency])


def _file(*rows: str, eol: str = "\n", header: str = HEADER) -> bytes:
    return (eol.join([header, *rows]) + eol).encode()


FILES = {
    "good rows and duplicates in the file and in the database": _file(
        row(),
        row(line="2", quantity="2.5", price="880.50"),
        row(),
        row(invoice="OLD-1"),
        row(invoice="OLD-2"),
        row(line="02", quantity="2.50", price="880.5"),
        row(invoice="INV-1", line="1", quantity="11"),
    ),
    "identity": _file(
        row(invoice=""),
        row(invoice="X" * 65),
        row(invoice="X" * 64, line="7"),
        row(line="0"),
        row(line="000"),
        row(line="-1"),
        row(line="1.0"),
        row(line="2147483648"),
        row(line="2147483647", invoice="MAX"),
        row(line="9" * 5000),
        row(line="0" * 50 + "3", invoice="Z"),
        row(line="x'y"),
        row(line='"a""b\'c"'),
        row(line='"t\tb"'),
        row(line="١"),
        row(partner="P-X"),
        row(partner="P-Ä"),
        row(partner="P\\A"),
        row(partner="'P-A'"),
        row(sku="NOPE"),
        row(sku='"SW\u200b24"'),
        row(sku=""),
    ),
    "dates": _file(
        row(date="2026/01/01"),
        row(date="2026-02-30"),
        row(date="0000-01-01"),
        row(date="2026-13-01"),
        row(date="1990-01-01"),
        row(date="2999-01-01"),
        row(date=""),
        row(date="２０２６-01-01"),
        row(date="20261001"),
    ),
    "numbers": _file(
        row(invoice="Q1", quantity=""),
        row(invoice="Q2", quantity="0"),
        row(invoice="Q3", quantity="0.000"),
        row(invoice="Q4", quantity="-1"),
        row(invoice="Q5", quantity="-0"),
        row(invoice="Q6", quantity="+5"),
        row(invoice="Q7", quantity="1e3"),
        row(invoice="Q8", quantity='"1,000"'),
        row(invoice="Q9", quantity="1.005"),
        row(invoice="Q10", quantity="1.500"),
        row(invoice="Q11", quantity="9999999999.99"),
        row(invoice="Q12", quantity="10000000000"),
        row(invoice="Q13", quantity="9" * 2000),
        row(invoice="Q14", quantity="0" * 60 + "1"),
        row(invoice="Q15", quantity=".5"),
        row(invoice="Q16", quantity="5."),
        row(invoice="Q17", quantity="abc" * 30),
        row(invoice="P1", price="0"),
        row(invoice="P2", price="0.000"),
        row(invoice="P3", price="-900"),
        row(invoice="P4", price="900.001"),
        row(invoice="P5", price="1000000000000"),
        row(invoice="P6", price=""),
        row(invoice="P7", price="1" * 45),
        row(invoice="J1", partner="P-J", sku="SW-J", price="900", currency="JPY"),
        row(invoice="J2", partner="P-J", sku="SW-J", price="900.5", currency="JPY"),
    ),
    "currencies": _file(
        row(currency="HKD"),
        row(currency="twd"),
        row(currency=""),
        row(currency="ＴＷＤ"),
        row(currency="TWDOLLARS"),
        row(partner="P-J", sku="SW-24", currency="JPY"),
        row(sku="SW-J", currency="TWD"),
    ),
    "converted at the latest rate on or before the invoice date": _file(
        row(invoice="USD-1", price="27.77", currency="USD", date=day(12)),
        row(invoice="USD-2", price="27.77", currency="USD", date=day(10)),
        row(invoice="USD-3", price="27.77", currency="USD"),
        row(invoice="USD-4", price="27.775", currency="USD"),
        row(invoice="USD-5", price="0", currency="USD"),
        row(invoice="OLD-USD", price="30.00", currency="USD"),
        row(invoice="OLD-USD", line="2", price="30.01", currency="USD"),
        row(invoice="JPY-1", price="900.5", currency="JPY"),
        row(invoice="JPY-2", price="1999", currency="JPY"),
        row(invoice="HKD-1", price="100", currency="HKD"),
        row(invoice="USD-J", partner="P-J", sku="SW-J", price="10", currency="USD"),
        row(invoice="TWD-J", partner="P-J", sku="SW-J", price="10", currency="TWD"),
    ),
    "formulas and quotes": _file(
        row(invoice='=HYPERLINK("x")'.replace('"', '""').join('""')),
        row(invoice="+1", line="2"),
        row(invoice="@SUM(A1)", line="3"),
        row(invoice='"multi\nline"', line="4"),
        row(invoice='"with, comma"', line="5"),
        row(invoice="  padded  ", line="6"),
        row(invoice="INV-\u3000", line="7"),
    ),
    "ragged rows": _file(
        row() + ",extra,cells",
        "INV-2,1,P-A",
        ",,,,,,,,,X",
        "",
        ",,,,,,,",
        row(invoice="INV-3"),
        '"unclosed,1,P-A,SW-24,' + day() + ",1,1,TWD",
        row(invoice="INV-4"),
    ),
    "extra header columns": _file(
        row() + ",note",
        row(invoice="INV-2"),
        row(invoice="INV-3") + ",",
        header=HEADER + ",note,more",
    ),
    "columns in another order": (
        "currency,sku,line,invoice_number,partner_code,unit_net_price,quantity,invoice_date\n"
        f"TWD,SW-24,1,R-1,P-A,900,1,{day()}\nTWD,NOPE,2,R-1,P-A,900,1,{day()}\n"
    ).encode(),
    "control characters": _file(
        row(invoice="A\x00B"),
        row(invoice="A\x07B", line="2"),
        row(invoice="A\x1fB", line="3"),
        row(invoice="AB\x1f", line="4"),
        row(invoice="A\x85B", line="5"),
        row(invoice="OK", line="6"),
        row(invoice="ZZ", line="7") + ",\x00",
    ),
    "bytes that are not UTF-8": _file(row(invoice="ok"), header=HEADER)
    + b"BAD-\xff,1,P-A,SW-24,"
    + day().encode()
    + b",1,1,TWD\n"
    + _file(row(invoice="after"), header=row(invoice="after-header")),
    "a byte-order mark and CRLF": codecs.BOM_UTF8 + _file(row(), row(line="2"), eol="\r\n"),
    "UTF-16": codecs.BOM_UTF16_LE + _file(row(), row(line="x")).decode().encode("utf-16-le"),
    "a huge field": _file(row(invoice="H" * 300_000), row(invoice="after")),
    "missing columns": b"invoice_number,line\nA,1\n",
    "a column twice": _file(row(), header=HEADER + ",sku"),
    "only a header": _file(),
    "empty": b"",
}


@pytest.fixture(autouse=True)
def _world(world):
    ProductFactory(sku="SW-24", currency="TWD")
    ProductFactory(sku="SW-J", currency="JPY")
    PartnerFactory(code="P-J", currency="JPY")
    for offset, currency, rate in ((11, "USD", "31.5"), (4, "USD", "32.12345678")):
        ExchangeRate.objects.create(
            from_currency=currency, to_currency="TWD", date=day(offset), rate=Decimal(rate)
        )
    ExchangeRate.objects.create(from_currency="JPY", to_currency="TWD", date=day(30), rate="0.2")
    purchases.purchases_import(
        content=_file(
            row(invoice="OLD-1"),
            row(invoice="OLD-2", quantity="3"),
            row(invoice="OLD-USD", price="30.00", currency="USD"),
            row(invoice="OLD-USD", line="2", price="30.00", currency="USD"),
        ),
        filename="before.csv",
    )


def _outcome(content: bytes, *, sql: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(purchases, "SQL_CHECKS", sql)
    savepoint = transaction.savepoint()
    try:
        result = purchases.purchases_import(content=content, filename="differential.csv")
        batch = result.batch
        stored = list(
            PurchaseInvoiceLine.objects.filter(batch=batch)
            .order_by("invoice_number", "line")
            .values_list(
                "invoice_number",
                "line",
                "partner__code",
                "product__sku",
                "invoice_date",
                "quantity",
                "unit_net_price",
                "currency",
                "original_currency",
                "original_unit_net_price",
                "exchange_rate",
                "rate_date",
            )
        )
        recorded = list(
            PurchaseRejection.objects.filter(batch=batch)
            .order_by("row_number", "id")
            .values_list("row_number", "column", "reason")
        )
        return (
            (batch.status, batch.error, batch.total_rows, batch.processed_rows),
            (result.created, result.duplicates),
            (batch.created, batch.duplicates, batch.rejected_count),
            [(r.row, r.column, r.reason) for r in result.rejected],
            recorded,
            stored,
        )
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.mark.parametrize("content", [pytest.param(c, id=n) for n, c in FILES.items()])
def test_the_sql_path_and_the_python_checker_agree(content: bytes, monkeypatch):
    python = _outcome(content, sql=False, monkeypatch=monkeypatch)
    sql = _outcome(content, sql=True, monkeypatch=monkeypatch)

    assert sql == python


@pytest.mark.parametrize("content", [pytest.param(c, id=n) for n, c in FILES.items()])
def test_the_paths_agree_when_blocks_cut_lines_and_characters(content: bytes, monkeypatch):
    python = _outcome(content, sql=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(import_stream, "BLOCK", 5)
    sql = _outcome(content, sql=True, monkeypatch=monkeypatch)

    assert sql == python


def test_the_files_reach_the_corners_they_are_meant_to(monkeypatch):
    """The corpus is not vacuous: it stores, counts duplicates and rejects for every reason."""
    outcomes = {
        name: _outcome(content, sql=True, monkeypatch=monkeypatch)
        for name, content in FILES.items()
    }
    reasons = {reason for outcome in outcomes.values() for _, _, reason in outcome[3]}
    first = outcomes["good rows and duplicates in the file and in the database"]
    assert first[1] == (2, 1)
    assert [r[:2] for r in first[3]] == [(4, "line"), (6, "line"), (7, "line"), (8, "line")]
    for expected in (
        "unknown partner 'P-Ä'",
        '"x\'y" is not a line number',
        "-1 is negative",
        "1.005 has more than 2 decimals",
        "900.5 has more than 0 decimals",
        "'twd' is not the partner's currency (TWD)",
        "SW-J is priced in JPY",
        "2026-02-30 is not a date",
        "has 3 cells, the header has more",
        "not UTF-8 text or holds control characters",
        "too large (at most 9,999,999,999.99)",
    ):
        assert expected in reasons, expected
    assert any(reason.endswith("was imported before with other figures") for reason in reasons)
    converted = outcomes["converted at the latest rate on or before the invoice date"]
    assert converted[1] == (4, 1)
    assert [r[1:] for r in converted[3]] == [
        ("currency", f"no USD→TWD rate on or before {day(12)}"),
        ("unit_net_price", "27.775 has more than 2 decimals"),
        ("line", "invoice OLD-USD line 2 was imported before with other figures"),
        ("unit_net_price", "900.5 has more than 0 decimals"),
        ("currency", f"no HKD→TWD rate on or before {day()}"),
        ("currency", f"no USD→JPY rate on or before {day()}"),
        ("currency", f"no TWD→JPY rate on or before {day()}"),
    ]
    stored = {line[0]: line[6:] for line in converted[5]}
    # 27.77 × 31.5 = 874.755 and 27.77 × 32.12345678 = 892.0683947…, rounded half-up to cents.
    assert stored["USD-2"] == (
        Decimal("874.76"),
        "TWD",
        "USD",
        Decimal("27.77"),
        Decimal("31.5"),
        dt.date.fromisoformat(day(11)),
    )
    assert stored["USD-3"][:2] == (Decimal("892.07"), "TWD")
    assert stored["USD-5"][0] == Decimal("0.00")
    assert stored["JPY-2"][:4] == (Decimal("399.80"), "TWD", "JPY", Decimal("1999"))
    assert outcomes["empty"][0][0] == "failed"
