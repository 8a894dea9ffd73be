"""The set-based payments import (PostgreSQL) against the Python checker: the same hostile files
give the same rejections (row, column, reason), the same counts, the same stored payments, the
same paid days and the same recompute requests.

Each file runs through both paths from the same database state (a savepoint rolled back in
between), once with the normal blocks and once with blocks of 5 bytes, so that every line,
quote and UTF-8 character is cut somewhere."""

from __future__ import annotations

import codecs
import datetime as dt
import io

import pytest
from django.db import connection, transaction
from django.utils import timezone

from commissions.models import Payment, PaymentBatch, RecomputeRequest, SalePaid
from commissions.services import import_stream, payments
from partners.services import partner_assign_account_manager
from tests.factories import ChannelManagerFactory, VendorAdminFactory

from .builders import load, partner, plan, program, sale, sale_return

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]

HEADER = "external_id,paid_date,amount"
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


def day(offset: int = 3) -> str:
    return (timezone.localdate() - dt.timedelta(days=offset)).isoformat()


def row(external_id="S-1", paid=None, amount="1000.00") -> str:
    return ",".join([external_id, paid or day(), amount])


def _file(*rows: str, eol: str = "\n", header: str = HEADER) -> bytes:
    return (eol.join([header, *rows]) + eol).encode()


FILES = {
    "instalments, over-payment and duplicates in the file and in the database": _file(
        row("S-1", day(20), "4000.00"),
        row("S-1", day(10), "6000"),
        row("S-1", day(20), "4000"),  # the first line again, written otherwise
        row("S-1", day(30), "1000.00"),  # imported before
        row("S-2", day(5), "600.00"),  # more than the sale's 500.00: accepted
        row("S-3", day(2), "100.00"),
        row("S-3", day(2), "100.0"),
        row("Y-1", day(4), "1000"),
        row("S-4", day(6), "250.00"),  # S-4 was paid in full before: this moves nothing
    ),
    "identity and sales": _file(
        row(""),
        row("X" * 65),
        row("X" * 64),
        row("S-9"),
        row("s-1"),
        row("S-Ä"),
        row("'S-1'"),
        row("R-RET"),
        row("B-1"),
        row('"S-1 "'),
        row(" S-2 "),
    ),
    "dates": _file(
        row(paid="2026/01/01"),
        row(paid="2026-02-30"),
        row(paid="0000-01-01"),
        row(paid="2026-13-01"),
        row(paid="2026-00-10"),
        row(paid="1999-12-31"),
        row(paid="0001-01-01"),
        row(paid="2999-01-01"),
        row(paid=(timezone.localdate() + dt.timedelta(days=1)).isoformat()),
        row(paid=timezone.localdate().isoformat()),
        row(paid=""),
        row(paid="２０２６-01-01"),
        row(paid="2026-W41-1"),
        row(paid="2026100512"),
        row(paid="20261005"),
        row(paid="x'y"),
        row(paid="a\"b'c".replace('"', '""').join('""')),
        row(paid='"t\tb"'),
        row(paid="d" * 60),
        row(paid="日付" * 30),
    ),
    "amounts": _file(
        row(amount=""),
        row(amount="0"),
        row(amount="0.000"),
        row(amount="-0"),
        row(amount="-5.00"),
        row(amount="+5.00"),
        row(amount="1e3"),
        row(amount='"1,000.00"'),
        row(amount='"12,34"'),
        row(amount="1.001"),
        row(amount="1.500"),
        row(amount="5."),
        row(amount=".5"),
        row(amount="000012.50"),
        row(amount="999999999999.99"),
        row(amount="1000000000000"),
        row(amount="9" * 2000),
        row(amount="0" * 60 + "1"),
        row(amount="0." + "0" * 50 + "1"),
        row(amount="0.0000001"),
        row(amount="0.00000010"),
        row(amount="0.000001"),
        row(amount="abc" * 30),
        row(amount="１２"),
        row("Y-1", amount="1000"),
        row("Y-1", amount="1000.5"),
        row("Y-1", amount="1000.00"),
    ),
    "formulas, quotes and lines inside cells": _file(
        row('"=HYPERLINK(""x"")"'),
        row("+1"),
        row("@SUM(A1)"),
        '"S-1\nsecond line",' + day() + ",1.00",
        row("S-5", day(7), "1.00"),
        '"S-2",' + day() + ',"1.00\n"',
        row("S-6"),
        row("  S-2  ", f"  {day(8)}  ", "  2.00  "),
        row("S-2\u3000", day(9), "3.00"),
        row("S-9"),
        '"S-8\nX",' + day() + ",1.00",
        row("S-9", day(4)),
    ),
    "ragged rows and blank lines": _file(
        row() + ",extra",
        "S-1," + day(),
        "S-1",
        "",
        ",,",
        ",,,,",
        "  ,  ,  ",
        row("S-2", day(11)),
        '"unclosed,' + day() + ",1.00",
        row("S-2", day(12)),
    ),
    "extra header columns": _file(
        row() + ",note",
        row("S-2", day(13)) + ",",
        row("S-2", day(14)),
        header=HEADER + ",note",
    ),
    "columns in another order": (
        f"amount,external_id,paid_date\n700.00,S-2,{day(15)}\n1.00,S-9,{day()}\n"
    ).encode(),
    "control characters": _file(
        row("S\x00-1"),
        row("S-1", "2026-10-0\x07"),
        row("S-1", day(), "1\x1f"),
        row("S-1", day(), "1.00\x1f"),
        row("S\x85-1"),
        row("S-2", day(16), "1.00") + ",\x00",
        row("S-2", day(17), "1.00"),
    ),
    "bytes that are not UTF-8": _file(row("S-2", day(18)), header=HEADER)
    + b"S-\xff,"
    + day().encode()
    + b",1.00\n"
    + b"S-2,"
    + day(19).encode()
    + b",\xfe1.00\n"
    + _file(row("S-2", day(21)), header=row("S-2", day(22))),
    "a byte-order mark and CRLF": codecs.BOM_UTF8
    + _file(row("S-2", day(23)), row("S-2", day(24), "x"), eol="\r\n"),
    "UTF-16": codecs.BOM_UTF16_LE
    + _file(row("S-2", day(25)), row("S-9")).decode().encode("utf-16-le"),
    "UTF-16 that breaks off": codecs.BOM_UTF16_LE + "external_id".encode("utf-16-le") + b"\x00",
    "a huge field": _file(row("H" * 300_000), row("S-2", day(26), "9" * 300_000), row("S-2")),
    "a header that is not text": b"external_id,paid\x00date,amount\nS-1,2026-10-01,1\n",
    "missing columns": b"external_id,paid_date\nS-1,2026-10-01\n",
    "a column twice": _file(row() + ",1", header=HEADER + ",amount"),
    "only a header": _file(),
    "only blank lines after the header": _file("", "", ",,"),
    "empty": b"",
    "only whitespace": b" \r\n \n",
}


@pytest.fixture(autouse=True)
def _world(db):
    load(program(commission_plans=[plan(NET_5, accrual="payment")]))
    sale("P-ACME", "SW-24", day(40), "10000.00", external_id="S-1")
    original = sale("P-ACME", "SW-24", day(40), "500.00", external_id="S-2")
    returned = sale_return(original, day(35), "100.00")
    type(returned).objects.filter(pk=returned.pk).update(external_id="R-RET")
    sale("P-ACME", "SW-24", day(40), "100.00", external_id="S-3")
    sale("P-ACME", "SW-24", day(40), "500.00", external_id="S-4")
    sale("P-ACME", "SW-24", day(40), "10.00", external_id="S-5")
    sale("P-ACME", "SW-24", day(40), "10.00", external_id="S-6")
    sale("P-ACME", "SW-24", day(40), "10.00", external_id="S-Ä")
    sale("P-ACME", "SW-24", day(40), "10.00", external_id="S-1\nsecond line")
    sale("P-YEN", "SW-24", day(40), "5000", external_id="Y-1")
    sale("P-BETA", "SW-24", day(40), "100.00", external_id="B-1")
    payments.payments_import(
        file=io.BytesIO(_file(row("S-1", day(30), "1000.00"), row("S-4", day(9), "500.00"))),
        filename="before.csv",
    )
    RecomputeRequest.objects.all().delete()


def _outcome(content: bytes, *, sql: bool, monkeypatch, actor=None) -> tuple:
    monkeypatch.setattr(payments, "SQL_CHECKS", sql)
    savepoint = transaction.savepoint()
    try:
        result = payments.payments_import(
            file=io.BytesIO(content), filename="differential.csv", actor=actor
        )
        batch = PaymentBatch.objects.get(pk=result.batch.pk)
        stored = list(
            Payment.objects.filter(batch=batch)
            .order_by("sale__external_id", "paid_date", "amount")
            .values_list("sale__external_id", "paid_date", "amount")
        )
        paid = list(
            SalePaid.objects.order_by("sale__external_id").values_list(
                "sale__external_id", "partner_id", "paid_on"
            )
        )
        requests = sorted(
            RecomputeRequest.objects.values_list("period", "partner__code", "reason"),
            key=str,
        )
        return (
            (batch.status, batch.error, batch.sha256, batch.total_rows, batch.processed_rows),
            (result.created, result.duplicates),
            (batch.created_count, batch.duplicate_count, batch.rejected_count),
            [(r.row, r.column, r.reason) for r in result.rejected],
            batch.rejections,
            stored,
            paid,
            requests,
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


@pytest.mark.parametrize("name", ["identity and sales", "columns in another order"])
def test_the_paths_agree_for_a_channel_manager_who_sees_one_partner(name: str, monkeypatch):
    manager = ChannelManagerFactory()
    partner_assign_account_manager(
        partner=partner("P-YEN"), manager=manager, actor=VendorAdminFactory()
    )
    python = _outcome(FILES[name], sql=False, monkeypatch=monkeypatch, actor=manager)
    sql = _outcome(FILES[name], sql=True, monkeypatch=monkeypatch, actor=manager)

    assert sql == python
    # Only P-YEN's sale is within reach: every other sale is unknown to this importer, the
    # return R-RET included.
    sales = [reason for _, column, reason in sql[3] if column == "external_id"]
    assert "no sale R-RET (import the sale first)" in sales or name != "identity and sales"
    assert all(
        reason.startswith("no sale ") or reason in ("required", "longer than 64 characters")
        for reason in sales
    )


def test_the_files_reach_the_corners_they_are_meant_to(monkeypatch):
    """The corpus is not vacuous: it stores, counts duplicates, moves paid days, asks for
    recomputes and rejects for every reason the checker has."""
    outcomes = {
        name: _outcome(content, sql=True, monkeypatch=monkeypatch)
        for name, content in FILES.items()
    }
    reasons = {reason for outcome in outcomes.values() for _, _, reason in outcome[3]}
    first = outcomes["instalments, over-payment and duplicates in the file and in the database"]
    assert first[1] == (6, 3)
    assert first[3] == []
    paid = {external_id: paid_on for external_id, _, paid_on in first[6]}
    # S-1: 1,000.00 before, then 4,000.00 and 6,000.00 reach its 10,000.00 on the later day.
    assert paid["S-1"] == dt.date.fromisoformat(day(10))
    assert paid["S-2"] == dt.date.fromisoformat(day(5))
    # S-4 was paid off before: 250.00 more moves nothing.
    assert paid["S-4"] == dt.date.fromisoformat(day(9))
    assert "Y-1" not in paid  # 1,000 of 5,000
    assert {request[0] for request in first[7]} == {day(10)[:7], day(5)[:7], day(2)[:7]}
    for expected in (
        "required",
        "longer than 64 characters",
        "no sale S-9 (import the sale first)",
        "no sale s-1 (import the sale first)",
        "R-RET is a return; payments are for sales",
        "'2026/01/01' is not a date (YYYY-MM-DD)",
        "'2026-02-30' is not a date (YYYY-MM-DD)",
        "'2026-W41-1' is not a date (YYYY-MM-DD)",
        "'２０２６-01-01' is not a date (YYYY-MM-DD)",
        '"x\'y" is not a date (YYYY-MM-DD)',
        "'t\\tb' is not a date (YYYY-MM-DD)",
        "2999-01-01 is in the future",
        "1,000.00 has thousands separators; write 1000.00",
        "1e3 is not a number",
        "-5.00 is negative; a payment is a positive amount",
        "must be greater than zero",
        "too large (at most 999,999,999,999.99)",
        "1.001 has more than 2 decimals (TWD has 2)",
        "1E-7 has more than 2 decimals (TWD has 2)",
        "1000.5 has more than 0 decimals (JPY has 0)",
        "1000.00 has more than 0 decimals (JPY has 0)",
        "row has 4 fields, the header has 3",
        "row has 2 fields, the header has 3",
        "contains a NUL byte",
        "contains a control character (U+0007)",
        "not UTF-8 text (save the file as CSV UTF-8)",
        "The file is empty.",
        "Missing columns: amount.",
        "The column amount appears twice in the header.",
        "The header row is not UTF-8 text or holds control characters; save the file as CSV UTF-8.",
        "The file starts as UTF-16 text but is not valid UTF-16; save it as CSV UTF-8.",
    ):
        assert expected in reasons, expected
    quoted = outcomes["formulas, quotes and lines inside cells"][3]
    # A record over two lines is numbered by its last line, and the rows after it move on.
    assert quoted[3:] == [
        (13, "external_id", "no sale S-9 (import the sale first)"),
        (15, "external_id", "no sale S-8\nX (import the sale first)"),
        (16, "external_id", "no sale S-9 (import the sale first)"),
    ]
    assert outcomes["empty"][0][0] == "failed"
    assert outcomes["only a header"][0][0] == "done"
    assert outcomes["a huge field"][3][:2] == [
        (2, "external_id", "longer than 64 characters"),
        (3, "amount", "too large (at most 999,999,999,999.99)"),
    ]
