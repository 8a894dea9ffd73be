"""The sales rollup that recomputes read always equals the sums of the sales lines: the database
triggers keep it on every insert (one by one and in bulk), update and delete."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from commissions.models import ImportBatch, Sale, SalesRollup

from .builders import csv_bytes, load, program, sale, sale_return

pytestmark = pytest.mark.django_db


def _from_lines() -> dict:
    out = {}
    for s in Sale.objects.select_related("original"):
        key = (
            s.partner_id,
            s.product_id,
            s.kind,
            s.invoice_date,
            s.original.invoice_date if s.original_id else dt.date(1900, 1, 1),
        )
        volume, quantity, count = out.get(key, (0, 0, 0))
        out[key] = (volume + int(s.net_amount * 100), quantity + int(s.quantity * 100), count + 1)
    return out


def _from_rollup() -> dict:
    return {
        (r.partner_id, r.product_id, r.kind, r.invoice_date, r.original_date): (
            r.volume_cents,
            r.quantity_hundredths,
            r.line_count,
        )
        for r in SalesRollup.objects.filter(line_count__gt=0)
    }


def test_rollup_follows_inserts_updates_and_deletes():
    load(program())
    first = sale("P-ACME", "SW-24", "2026-10-05", "1000.10", "2")
    sale("P-ACME", "SW-24", "2026-10-05", "99.95")
    sale("P-BETA", "FW-1", "2026-10-06", "30000.00", "3")
    sale_return(first, "2026-10-20", "500.05")
    assert _from_rollup() == _from_lines()

    Sale.objects.filter(pk=first.pk).update(net_amount=Decimal("1200.00"))
    assert _from_rollup() == _from_lines()

    Sale.objects.filter(kind="return").delete()
    assert _from_rollup() == _from_lines()


def test_rollup_follows_a_bulk_import():
    from commissions.services.imports import sales_import

    load(program())
    rows = [
        f"B-{n},P-ACME,SW-24,C,,,,2026-10-{n % 28 + 1:02d},sale,{n % 3 + 1},{n}.25,TWD,"
        for n in range(1, 200)
    ]
    rows.append("B-R,P-ACME,SW-24,C,,,,2026-10-28,return,1,1.25,TWD,B-1")
    result = sales_import(content=csv_bytes(*rows), filename="bulk.csv")
    assert result.created == 200
    assert _from_rollup() == _from_lines()
    totals = SalesRollup.objects.aggregate(n=Sum("line_count"))
    assert totals["n"] == Sale.objects.aggregate(n=Count("id"))["n"]


def test_deleting_an_import_batch_keeps_the_rollup_exact():
    from commissions.services.imports import sales_import

    load(program())
    sales_import(
        content=csv_bytes("D-1,P-ACME,SW-24,C,,,,2026-10-02,sale,1,10.00,TWD,"), filename="d.csv"
    )
    ImportBatch.objects.all().delete()  # sets the sales' batch to NULL: an UPDATE of the lines
    assert Sale.objects.get().batch_id is None
    assert _from_rollup() == _from_lines()
