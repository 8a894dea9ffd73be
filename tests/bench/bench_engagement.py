"""The nightly commitments and health runs on PostgreSQL over 5,000 partners, each under an
accepted agreement version, with 5 monthly statements paid on day 25 to 34 after the period, 4
business reviews (every third held a day late), 3 cases (one answered after its SLA), 2 price
lists of the year and a target with 20 sales lines. A throwaway test database is created and
dropped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \\
        .venv/bin/python tests/bench/bench_engagement.py [--partners 5000] [--runs 5]
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

ON = dt.date(2026, 6, 15)
NOW = timezone.make_aware(dt.datetime.combine(ON, dt.time(2, 30)))
D = dt.timedelta(days=1)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def build(n: int) -> None:
    from agreements.models import Agreement, AgreementVersion, PriceList, Product, ProductLine
    from commissions.models import Sale, Statement
    from disputes.models import Case
    from partners.models import BusinessReview, Partner, Target, Tier
    from prm.accounts.models import User

    User.objects.create(email="admin@bench.example", vendor_role="admin", password="!")
    tier = Tier.objects.create(code="gold", name="Gold", rank=1)
    line = ProductLine.objects.create(code="NET", name="Networking")
    product = Product.objects.create(sku="SKU-1", name="Switch", line=line, currency="TWD")
    partners = Partner.objects.bulk_create(
        Partner(code=f"P-{i:05d}", name=f"Partner {i}", currency="TWD", tier=tier, status="active")
        for i in range(n)
    )
    agreements = Agreement.objects.bulk_create(
        Agreement(number=f"AG-{p.pk}", partner=p, status="active", start=dt.date(2026, 1, 1),
                  end=dt.date(2027, 12, 31))
        for p in partners
    )  # fmt: skip
    AgreementVersion.objects.bulk_create(
        AgreementVersion(agreement=a, number=1, status="accepted", effective_date=a.start,
                         in_force_from=a.start, price_notice_days=30)
        for a in agreements
    )  # fmt: skip
    lists = [("L1", dt.date(2026, 2, 1), dt.date(2026, 3, 1)),
             ("L2", dt.date(2026, 4, 20), dt.date(2026, 5, 1))]  # fmt: skip
    for code, created, effective in lists:
        price_list = PriceList.objects.create(
            code=code, name=code, currency="TWD", effective_from=effective
        )
        PriceList.objects.filter(pk=price_list.pk).update(created_at=_at(created))
    statements = []
    for p in partners:
        for month in range(1, 6):
            end = dt.date(2026, month + 1, 1) - D
            paid = end + (25 + (p.pk + month) % 10) * D
            statements.append(Statement(
                partner=p, period=f"2026-{month:02d}", period_start=end.replace(day=1),
                period_end=end, currency="TWD", status="paid" if paid < ON else "approved",
                paid_at=_at(paid) if paid < ON else None,
            ))  # fmt: skip
    Statement.objects.bulk_create(statements, batch_size=5000)
    BusinessReview.objects.bulk_create(
        (BusinessReview(
            partner=p, scheduled_at=_at(dt.date(2026, 1, 12) + 35 * j * D),
            status="held", held_at=_at(dt.date(2026, 1, 12) + (35 * j + (j == 2)) * D),
        ) for p in partners for j in range(4)),
        batch_size=5000,
    )  # fmt: skip
    cases = []
    for p in partners:
        for j in range(3):
            opened = _at(dt.date(2026, 2, 2) + 30 * j * D, 9)
            cases.append(Case(
                kind="payout", status="open" if j == 2 else "resolved", priority="normal",
                subject="Bench", description="Bench", partner=p,
                first_response_due=opened + 24 * dt.timedelta(hours=1),
                resolution_due=opened + 14 * D,
                first_responded_at=opened + (30 if j == 1 else 3) * dt.timedelta(hours=1),
            ))  # fmt: skip
    Case.objects.bulk_create(cases, batch_size=5000)
    Target.objects.bulk_create(
        Target(partner=p, period="2026-06", currency="TWD", amount=Decimal("100000"),
               status="agreed", agreed_at=NOW)
        for p in partners
    )  # fmt: skip
    Sale.objects.bulk_create(
        (Sale(external_id=f"S-{p.pk}-{j}", partner=p, product=product, customer_name="C",
              invoice_date=ON - (1 + j % 14) * D, kind="sale", quantity=Decimal("1"),
              net_amount=Decimal(1000 + (p.pk * 37 + j * 101) % 9000), currency="TWD")
         for p in partners for j in range(20)),
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def report(label: str, fn, runs: int) -> None:
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = fn()
        first = (time.perf_counter() - started) * 1000
    times = timed(fn, runs)
    print(
        f"{label}: first run {first:.0f} ms ({result}), then median "
        f"{statistics.median(times):.0f} ms (min {min(times):.0f}, max {max(times):.0f}); "
        f"{len(ctx.captured_queries)} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")

    from engagement.commitments import Window, instances_measure
    from engagement.services import commitment_misses_record, health_snapshots_take
    from partners.models import Partner

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        build(args.partners)
        print(f"Built {args.partners:,} partners in {time.perf_counter() - started:.1f} s")
        report(
            "measure every commitment",
            lambda: len(instances_measure(Partner.objects.all(), window=Window.year(NOW))),
            args.runs,
        )
        report(
            "commitments nightly (misses recorded)",
            lambda: commitment_misses_record(now=NOW),
            args.runs,
        )
        report("health nightly (snapshots)", lambda: health_snapshots_take(now=NOW), args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
