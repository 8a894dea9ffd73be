"""Purchases import benchmark on PostgreSQL: the rows per second and the peak memory of importing
a purchases CSV of 100,000 and 1,000,000 rows (2,000 partners, 500 products, one row in a
thousand rejected), against the bare COPY of the same file. Each import runs in a forked process,
so that its peak RSS is its own. A throwaway test database is created and dropped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \\
        .venv/bin/python tests/bench/bench_purchases.py [--rows 100000,1000000] [--python]
"""

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)
from django.utils import timezone  # noqa: E402

from tests.bench.bench_commissions import bare_copy, peak_rss_mib  # noqa: E402  (sets Django up)

PARTNERS = 2000
PRODUCTS = 500


def build() -> None:
    from agreements.models import Product, ProductLine
    from partners.models import Partner

    line = ProductLine.objects.create(code="L0", name="Line 0")
    Product.objects.bulk_create(
        Product(sku=f"P-{i:04d}", name=f"Product {i}", line=line, currency="TWD")
        for i in range(PRODUCTS)
    )
    Partner.objects.bulk_create(
        Partner(code=f"B-{i:05d}", name=f"Partner {i}", currency="TWD", status="active")
        for i in range(PARTNERS)
    )


def csv_file(rows: int, path: Path) -> None:
    """A purchases CSV of `rows` rows, written a block at a time; every 1,000th row names an
    unknown SKU."""
    today = timezone.localdate()
    days = [(today - dt.timedelta(days=d)).isoformat() for d in range(1, 29)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency\n"
        )
        for start in range(0, rows, 100_000):
            out.write(
                "".join(
                    f"PI-{i // 10},{i % 10 + 1},B-{i % PARTNERS:05d},"
                    f"{'NOPE' if i % 1000 == 999 else f'P-{i % PRODUCTS:04d}'},"
                    f"{days[i % 28]},{i % 40 + 1},{(i * 13) % 90000 + 100}.50,TWD\n"
                    for i in range(start, min(rows, start + 100_000))
                )
            )


def import_in_child(path: Path) -> dict:
    from funds.purchases import purchases_import

    connection.close()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: import, report, leave
        os.close(reader)
        code = 0
        try:
            before = peak_rss_mib()
            start = time.perf_counter()
            with path.open("rb") as handle:
                result = purchases_import(file=handle, filename=path.name)
            elapsed = time.perf_counter() - start
            report = {
                "seconds": elapsed,
                "created": result.created,
                "rejected": len(result.rejected),
                "before": before,
                "after": peak_rss_mib(),
                "timings": result.timings,
            }
            os.write(writer, json.dumps(report).encode())
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    if not text:
        raise SystemExit("the import failed")
    with connection.cursor() as cursor:  # the next size starts from an empty table again
        cursor.execute("DELETE FROM funds_purchaserejection")
        cursor.execute("DELETE FROM funds_purchaseinvoiceline")
    return json.loads(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated CSV sizes")
    parser.add_argument(
        "--python", action="store_true", help="the Python checker (SQLite's path) instead of SQL"
    )
    args = parser.parse_args()
    if args.python:
        from funds import purchases

        purchases.SQL_CHECKS = False
    sizes = [int(n) for n in args.rows.split(",") if int(n)]
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("run it on PostgreSQL: set DATABASE_URL")
        build()
        print("purchases: rows | rows/s | bare COPY rows/s | ratio | peak RSS before -> after")
        for rows in sizes:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"purchases-{rows}.csv"
                csv_file(rows, path)
                copy_s = bare_copy(path)
                report = import_in_child(path)
            rate, copy_rate = rows / report["seconds"], rows / copy_s
            print(
                f"{rows:>9,} | {rate:>9,.0f} | {copy_rate:>12,.0f} | {rate / copy_rate:5.1%} | "
                f"{report['before']:.0f} -> {report['after']:.0f} MiB "
                f"(created {report['created']:,}, rejected {report['rejected']:,})"
            )
            steps = ", ".join(f"{name} {sec:.2f}" for name, sec in report["timings"].items())
            print(f"    seconds per step: {steps}")
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
