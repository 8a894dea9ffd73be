"""Commission benchmark on PostgreSQL: recompute one month of 1,000,000, 5,000,000 or 10,000,000
sales lines (2,000 partners, 10,000 at 10M; random partners, products, dates and amounts, one
return in a hundred; with --foreign, a share invoiced in USD and converted; with --accrual, the
plan accrues on payment and most sales are paid), against the bare GROUP BY of the same lines in
the same run, and the import rate of a 100,000-row CSV. `--payments 100000,1000000` times the
payments import instead (two instalments per sale, one row in a thousand for an unknown sale),
against the bare COPY of the same file. A throwaway test database is created and dropped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \\
        .venv/bin/python tests/bench/bench_commissions.py [--lines 1000000] [--csv-rows 100000] \\
        [--accrual] [--foreign 0.2]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \\
        .venv/bin/python tests/bench/bench_commissions.py --payments 100000,1000000
"""

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

PARTNERS = 2000  # set from --lines in main(): 10,000 at 10M lines
PRODUCTS = 500
SIZES = {200_000: 2000, 1_000_000: 2000, 5_000_000: 2000, 10_000_000: 10000}
MONTH = "2026-10"
# USD→TWD: the lines of --foreign convert at the latest of these on or before their day.
RATES = [(dt.date(2026, 9, 1), "31.50000000"), (dt.date(2026, 10, 16), "32.12500000")]

PROGRAM = {
    "commission_plans": [
        {
            "code": "BENCH",
            "settlement": "month",
            "clawback_days": 60,
            "cap": "5000000.00",
            "accelerator": {"threshold": "110", "multiplier": "1.25"},
            "rules": [
                {"priority": 10, "sku": "P-0001", "kind": "per_unit", "amount": "100.00"},
                {"priority": 20, "line": "L0", "kind": "percent", "rate": "5"},
                {
                    "priority": 30,
                    "line": "L1",
                    "kind": "tiered_marginal",
                    "brackets": [{"upto": "100000", "rate": "3"}, {"upto": None, "rate": "6"}],
                },
                {
                    "priority": 40,
                    "kind": "tiered_flat",
                    "brackets": [{"upto": "50000", "rate": "2"}, {"upto": None, "rate": "4"}],
                },
            ],
        }
    ],
}


def pay(*, share: float = 0.9) -> None:
    """Accrual on payment: the plan accrues on payment, and `share` of the sales are paid in
    full (one payment in two, two instalments otherwise) 0-20 days after their invoice, so some
    count in the next month and the rest await payment."""
    from commissions.models import PlanVersion, Sale
    from commissions.services.payments import sale_paid_refresh

    PlanVersion.objects.update(accrual=PlanVersion.Accrual.PAYMENT)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.24)")
        cursor.execute(
            """
            INSERT INTO commissions_payment (sale_id, paid_date, amount, created_at)
            SELECT s.id, s.invoice_date + floor(random() * 21)::int + part,
                   CASE WHEN s.id %% 2 = 0 THEN s.net_amount
                        ELSE round(s.net_amount / 2, 2) + part * (s.net_amount
                             - 2 * round(s.net_amount / 2, 2)) END, now()
            FROM commissions_sale s, generate_series(0, 1) AS part
            WHERE s.kind = 'sale' AND random() < %s AND (s.id %% 2 = 1 OR part = 0)
            ON CONFLICT DO NOTHING
            """,
            [share],
        )
    ids = list(Sale.objects.filter(kind="sale").values_list("pk", flat=True))
    sale_paid_refresh(sale_ids=ids)
    with connection.cursor() as cursor:
        # As autovacuum would: the payments, the paid days and the rollup their triggers keep.
        cursor.execute("ANALYZE commissions_payment")
        cursor.execute("ANALYZE commissions_salepaid")
        cursor.execute("ANALYZE commissions_paidsalesrollup")


def build(lines: int, *, foreign: float = 0.0) -> None:
    from agreements.models import Agreement, AgreementVersion, Product, ProductLine
    from agreements.services.program import program_load
    from commissions.models import ExchangeRate
    from partners.models import Partner, Target

    product_lines = ProductLine.objects.bulk_create(
        ProductLine(code=f"L{i}", name=f"Line {i}") for i in range(5)
    )
    Product.objects.bulk_create(
        Product(sku=f"P-{i:04d}", name=f"Product {i}", line=product_lines[i % 5], currency="TWD")
        for i in range(PRODUCTS)
    )
    program_load(PROGRAM, today=dt.date(2026, 11, 15))
    partners = Partner.objects.bulk_create(
        Partner(code=f"B-{i:05d}", name=f"Partner {i}", currency="TWD", status="active")
        for i in range(PARTNERS)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(
            number=f"AG-{p.code}",
            partner=p,
            status="active",
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
        )
        for p in partners
    )
    AgreementVersion.objects.bulk_create(
        AgreementVersion(
            agreement=a,
            number=1,
            status="accepted",
            effective_date=dt.date(2026, 1, 1),
            in_force_from=dt.date(2026, 1, 1),
            commission_plan="BENCH",
            terms={},
        )
        for a in agreements
    )
    Target.objects.bulk_create(
        Target(
            partner=p,
            period=MONTH,
            currency="TWD",
            amount=Decimal("500000"),
            status="agreed",
            agreed_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
        )
        for p in partners[::3]
    )
    if not lines:
        return
    first_partner, first_product = partners[0].pk, Product.objects.order_by("pk").first().pk
    for day, rate in RATES:
        ExchangeRate.objects.create(
            from_currency="USD", to_currency="TWD", date=day, rate=Decimal(rate)
        )
    with connection.cursor() as cursor:
        # Random but repeatable: many partners and products, uneven amounts and quantities; with
        # `foreign`, that share of the lines invoiced in USD and converted at the latest rate on
        # or before their day, as the import converts them.
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            """
            INSERT INTO commissions_sale (external_id, partner_id, product_id, customer_name,
                customer_tax_id, segment, territory, invoice_date, kind, quantity, net_amount,
                currency, original_currency, original_amount, exchange_rate, rate_date)
            SELECT g.external_id, g.partner_id, g.product_id, g.customer_name, '', '', 'TW-TPE',
                   g.invoice_date, 'sale', g.quantity,
                   CASE WHEN g.usd THEN round(g.amount / 30 * r.rate, 2) ELSE g.amount END,
                   'TWD', CASE WHEN g.usd THEN 'USD' ELSE '' END,
                   CASE WHEN g.usd THEN round(g.amount / 30, 2) END,
                   CASE WHEN g.usd THEN r.rate END, CASE WHEN g.usd THEN r.date END
            FROM (
                SELECT 'S' || n AS external_id, %s + floor(random() * %s)::int AS partner_id,
                       %s + floor(random() * %s)::int AS product_id,
                       'Customer ' || (n %% 5000) AS customer_name,
                       DATE '2026-10-01' + floor(random() * 31)::int AS invoice_date,
                       1 + floor(random() * 5)::int AS quantity,
                       round((random() * 1000 + 10)::numeric, 2) AS amount,
                       random() < %s AS usd
                FROM generate_series(1, %s) AS n
            ) g
            CROSS JOIN LATERAL (
                SELECT x.rate, x.date FROM commissions_exchangerate x
                WHERE x.from_currency = 'USD' AND x.to_currency = 'TWD'
                  AND x.date <= g.invoice_date
                ORDER BY x.date DESC LIMIT 1
            ) r
            """,
            [first_partner, PARTNERS, first_product, PRODUCTS, foreign, lines],
        )
        # One return in a hundred, within the clawback window of its original, converted at
        # its original's rate.
        cursor.execute(
            """
            INSERT INTO commissions_sale (external_id, partner_id, product_id, customer_name,
                customer_tax_id, segment, territory, invoice_date, kind, quantity, net_amount,
                currency, original_currency, original_amount, exchange_rate, rate_date,
                original_id)
            SELECT 'R' || s.id, s.partner_id, s.product_id, s.customer_name, '', '', s.territory,
                   s.invoice_date, 'return', s.quantity, s.net_amount, s.currency,
                   s.original_currency, s.original_amount, s.exchange_rate, s.rate_date, s.id
            FROM commissions_sale s WHERE s.id % 100 = 0
            """
        )
        # As autovacuum would after a load this size: the sales and the rollup their triggers keep.
        cursor.execute("ANALYZE commissions_sale")
        cursor.execute("ANALYZE commissions_salesrollup")


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def bare_group_by() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT partner_id, sum(net_amount) FROM commissions_sale "
            "WHERE invoice_date BETWEEN %s AND %s GROUP BY partner_id",
            [dt.date(2026, 10, 1), dt.date(2026, 10, 31)],
        )
        cursor.fetchall()


def _batch_in_child(batch_id: int) -> None:
    from commissions.services.recompute import recompute_batch_run

    recompute_batch_run(batch_id=batch_id)


def _child_connection() -> None:
    connection.close()  # the parent's socket is not this process's to use


def spread(workers: int, *, rewrite: bool) -> tuple[float, float]:
    """A full recompute request spread over `workers` processes, each running batch tasks'
    function as a Celery worker would: (seconds for the sums and the batches, seconds in all).
    With `rewrite`, every statement is written anew (as after a change of every partner)."""
    import multiprocessing

    from django.utils import timezone

    from commissions.models import RecomputeBatch, RecomputeRequest, Statement
    from commissions.services import compute
    from commissions.services.recompute import _fan_out

    if rewrite:
        Statement.objects.filter(period=MONTH).update(fingerprint="")
    start = time.perf_counter()
    request = RecomputeRequest.objects.create(
        period=MONTH, reason="bench", status="running", started_at=timezone.now()
    )
    work, _segments = compute.recompute_plan(month_label=MONTH, partner_ids=None)
    _fan_out(request, work)
    planned = time.perf_counter() - start
    ids = list(RecomputeBatch.objects.filter(request=request).values_list("pk", flat=True))
    connection.close()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_child_connection) as pool:
        pool.map(_batch_in_child, ids, chunksize=1)
    elapsed = time.perf_counter() - start
    request.refresh_from_db()
    assert request.status == "done"
    assert request.done_partners == request.total_partners
    return planned, elapsed


def csv_file(rows: int, path: Path) -> None:
    """Write a sales CSV of `rows` rows to `path`, a block at a time."""
    header = (
        "external_id,partner_code,sku,customer_name,customer_tax_id,segment,territory,"
        "invoice_date,kind,quantity,net_amount,currency,original_external_id\n"
    )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        for start in range(0, rows, 100_000):
            out.write(
                "".join(
                    f"CSV-{i},B-{i % PARTNERS:05d},P-{i % PRODUCTS:04d},Customer {i % 977},,,"
                    f"TW-TPE,2026-10-{i % 28 + 1:02d},sale,{i % 4 + 1},"
                    f"{(i * 13) % 90000 + 100}.50,TWD,\n"
                    for i in range(start, min(rows, start + 100_000))
                )
            )


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_copy(path: Path) -> float:
    """Seconds to COPY the same CSV, all columns as text, into a temporary table: the floor."""
    with path.open("rb") as handle:
        columns = handle.readline().decode().strip().split(",")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_copy (" + ", ".join(f"{c} text" for c in columns) + ")"
        )
        start = time.perf_counter()
        with path.open("rb") as handle:
            cursor.cursor.copy_expert(
                "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle, size=1 << 20
            )
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def in_child(work) -> dict:
    """Run `work` (answering a dict of figures) in a forked process, so that its peak memory is
    its own, and answer its figures with the child's peak RSS before and after."""
    connection.close()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: work, report, leave
        os.close(reader)
        code = 0
        try:
            before = peak_rss_mib()
            report = work()
            report.update(before=before, after=peak_rss_mib())
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
    return json.loads(text)


def import_in_child(path: Path, rows: int) -> dict:
    """Import the file in a forked process, so that its peak memory is the import's own."""
    from commissions.models import Sale
    from commissions.services.imports import sales_import

    def work() -> dict:
        start = time.perf_counter()
        with path.open("rb") as handle:
            result = sales_import(file=handle, filename=path.name)
        return {
            "seconds": time.perf_counter() - start,
            "created": result.created,
            "rejected": len(result.rejected),
            "timings": result.timings,
        }

    report = in_child(work)
    with connection.cursor() as cursor:  # the next size starts from an empty sales table again
        cursor.execute("DELETE FROM commissions_sale WHERE external_id LIKE 'CSV-%%'")
    assert not Sale.objects.filter(external_id__startswith="CSV-").exists()
    return report


def payment_sales(rows: int) -> None:
    """rows / 2 sales of 200.00, each to be paid in two instalments of 100.00."""
    from agreements.models import Product
    from partners.models import Partner

    first_partner = Partner.objects.order_by("pk").first().pk
    first_product = Product.objects.order_by("pk").first().pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO commissions_sale (external_id, partner_id, product_id, customer_name,
                customer_tax_id, segment, territory, invoice_date, kind, quantity, net_amount,
                currency, original_currency)
            SELECT 'PAY-' || g, %s + g %% %s, %s + g %% %s, 'Customer ' || (g %% 977), '', '',
                'TW-TPE', DATE '2026-10-01' + (g %% 28), 'sale', 1, 200.00, 'TWD', ''
            FROM generate_series(0, %s - 1) AS g
            """,
            [first_partner, PARTNERS, first_product, PRODUCTS, (rows + 1) // 2],
        )
        cursor.execute("ANALYZE commissions_sale")


def payments_csv(rows: int, path: Path) -> None:
    """A payments CSV of `rows` rows, written a block at a time: two instalments of 100.00 per
    sale, two weeks apart in November; every 1,000th row names an unknown sale."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("external_id,paid_date,amount\n")
        for start in range(0, rows, 100_000):
            out.write(
                "".join(
                    f"{'NOPE' if i % 1000 == 999 else 'PAY'}-{i // 2},"
                    f"2026-11-{(i // 2) % 14 + 1 + i % 2 * 14:02d},100.00\n"
                    for i in range(start, min(rows, start + 100_000))
                )
            )


def payments_figures(sizes: list[int]) -> None:
    from commissions.services.payments import payments_import

    print("payments: rows | import rows/s | bare COPY rows/s | ratio | peak RSS before -> after")
    for rows in sizes:
        payment_sales(rows)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"payments-{rows}.csv"
            payments_csv(rows, path)
            copy_s = bare_copy(path)

            def work(path=path) -> dict:
                start = time.perf_counter()
                with path.open("rb") as handle:
                    result = payments_import(file=handle, filename=path.name)
                return {
                    "seconds": time.perf_counter() - start,
                    "created": result.created,
                    "rejected": len(result.rejected),
                    "timings": result.timings,
                }

            report = in_child(work)
        rate, copy_rate = rows / report["seconds"], rows / copy_s
        print(
            f"(e) {rows:>9,} | {rate:>11,.0f} | {copy_rate:>14,.0f} | {rate / copy_rate:5.1%} | "
            f"{report['before']:.0f} -> {report['after']:.0f} MiB "
            f"(created {report['created']:,}, rejected {report['rejected']:,}; "
            "budget 100,000 rows/s)"
        )
        steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in report["timings"].items())
        print(f"    seconds per step: {steps}")
        with connection.cursor() as cursor:  # the next size starts from empty tables again
            cursor.execute("DELETE FROM commissions_salepaid")
            cursor.execute("DELETE FROM commissions_payment")
            cursor.execute("DELETE FROM commissions_sale WHERE external_id LIKE 'PAY-%%'")


def import_figures(sizes: list[int]) -> None:
    print("import: rows | import rows/s | bare COPY rows/s | ratio | peak RSS before -> after")
    for rows in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"sales-{rows}.csv"
            csv_file(rows, path)
            copy_s = bare_copy(path)
            report = import_in_child(path, rows)
        rate, copy_rate = rows / report["seconds"], rows / copy_s
        print(
            f"(d) {rows:>9,} | {rate:>11,.0f} | {copy_rate:>14,.0f} | {rate / copy_rate:5.1%} | "
            f"{report['before']:.0f} -> {report['after']:.0f} MiB "
            f"(created {report['created']:,}, rejected {report['rejected']:,}; "
            "budget 100,000 rows/s)"
        )
        steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in report["timings"].items())
        print(f"    seconds per step: {steps}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000, choices=[0, *sorted(SIZES)])
    parser.add_argument(
        "--csv-rows",
        default="100000,1000000",
        help="comma-separated CSV sizes to import (0: none)",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--accrual", action="store_true", help="the plan accrues on payment; most sales paid"
    )
    parser.add_argument(
        "--foreign",
        type=float,
        default=0.0,
        help="share of the sales invoiced in USD and converted to TWD (0-1; default 0)",
    )
    parser.add_argument("--spread-runs", type=int, default=2, help="0: no spread over workers")
    parser.add_argument(
        "--payments",
        default="",
        help="comma-separated payments CSV sizes to import instead (PostgreSQL's staged path)",
    )
    parser.add_argument(
        "--payments-python",
        action="store_true",
        help="the payments import's Python checker (SQLite's path) instead of the staged one",
    )
    args = parser.parse_args()
    if args.payments_python:
        from commissions.services import payments

        payments.SQL_CHECKS = False
    global PARTNERS
    PARTNERS = SIZES.get(args.lines, 2000)
    sizes = [int(n) for n in args.csv_rows.split(",") if int(n)]

    from commissions.models import Sale, Statement
    from commissions.services.compute import recompute
    from prm.celery import app

    # Queue, but do not run, the recomputes an import asks for: each step is timed on its own.
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        if connection.vendor != "postgresql":
            raise SystemExit("run it on PostgreSQL: set DATABASE_URL")
        if args.payments:
            build(0)
            payments_figures([int(n) for n in args.payments.split(",") if int(n)])
            return
        if not args.lines:
            build(0)  # products and partners only: the import runs into an empty table
            import_figures(sizes)
            return
        start = time.perf_counter()
        build(args.lines, foreign=args.foreign)
        if args.accrual:
            pay()
        lines = Sale.objects.count()
        converted = Sale.objects.exclude(original_currency="").count()
        print(
            f"built {PARTNERS} partners, {PRODUCTS} products, {lines} sales lines "
            f"({converted} converted from USD; accrual on "
            f"{'payment' if args.accrual else 'invoice'}) in {time.perf_counter() - start:.1f} s"
        )
        bare_group_by()  # warm the cache for both measurements alike
        from commissions import periods
        from commissions.services.compute import aggregate, plan_segments

        seg_s = timed(lambda: plan_segments(None), 3)
        segs = plan_segments(None)
        agg_s = timed(
            lambda: aggregate(period=periods.month(MONTH), partner_ids=None, segments=segs), 3
        )
        print(
            f"   plan segments {statistics.median(seg_s):.3f} s, "
            f"aggregate {statistics.median(agg_s):.3f} s"
        )
        first = timed(lambda: recompute(month_label=MONTH), 1)[0]
        # Each later run (nothing changed since) is paired with a run of the bare GROUP BY, so
        # that both meet the machine in the same state.
        recompute_s, bare_s = [], []
        for _ in range(args.runs):
            recompute_s += timed(lambda: recompute(month_label=MONTH), 1)
            bare_s += timed(bare_group_by, 1)
        statements = Statement.objects.filter(period=MONTH).count()
        r, b = statistics.median(recompute_s), statistics.median(bare_s)
        print(
            f"(a) recompute {MONTH}: median {r:.3f} s over {args.runs} runs after the first "
            f"({statements} statements; the first run, which writes them all: "
            f"{first:.3f} s, {first / b:.2f}x)"
        )
        print(f"(b) bare GROUP BY over the same lines: median {b:.3f} s")
        print(f"(c) ratio recompute / GROUP BY: {r / b:.2f} (budget 2.5)")
        for rewrite in (False, True):
            for workers in (1, 2) * args.spread_runs:
                bare = statistics.median(timed(bare_group_by, 3))
                planned, elapsed = spread(workers, rewrite=rewrite)
                print(
                    f"(f) request spread over {workers} worker{'s' if workers > 1 else ''}"
                    f"{', every statement rewritten' if rewrite else ''}: {elapsed:.3f} s "
                    f"(sums and batches stored in {planned:.3f} s), bare GROUP BY {bare:.3f} s, "
                    f"ratio {elapsed / bare:.2f}"
                )
        if sizes:
            import_figures(sizes)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
