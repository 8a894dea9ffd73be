"""Tier evaluation benchmark on PostgreSQL: evaluate_tiers over 5,000 partners, each with 3
members (2 certified), 20 sales lines and a return in the 12 months, against the bare
`GROUP BY partner_id` sum over the same sales in the same run; then the nightly tier moves over
the same partners (first night and the nights after). A throwaway test database is created and
dropped.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \\
        .venv/bin/python tests/bench/bench_tiers.py [--partners 5000] [--runs 7]
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
from django.db.models import Sum  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

ON = dt.date(2026, 6, 15)
SALES_PER_PARTNER = 20


def build(n: int) -> None:
    from agreements.models import Product, ProductLine
    from commissions.models import Sale
    from enablement.models import (
        Certificate,
        Certification,
        TierCertificationRequirement,
        TierRequirements,
    )
    from partners.models import Membership, Partner, Tier
    from prm.accounts.models import User

    tiers = [
        Tier.objects.create(code=code, name=code.title(), rank=rank)
        for rank, code in enumerate(["registered", "silver", "gold", "platinum"], start=1)
    ]
    net = Certification.objects.create(code="NET-PRO", name="Net Pro", validity_months=24)
    for tier, revenue, certified in ((tiers[1], "50000", 1), (tiers[2], "150000", 2)):
        rule = TierRequirements.objects.create(
            tier=tier, revenue_12m=Decimal(revenue), max_open_incidents=0
        )
        TierCertificationRequirement.objects.create(
            requirements=rule, certification=net, count=certified
        )
    TierRequirements.objects.create(tier=tiers[3], revenue_12m=Decimal("10000000"))
    line = ProductLine.objects.create(code="NET", name="Networking")
    product = Product.objects.create(sku="SKU-1", name="Switch", line=line, currency="TWD")
    partners = Partner.objects.bulk_create(
        Partner(code=f"P-{i:05d}", name=f"Partner {i}", currency="TWD", tier=tiers[i % 3])
        for i in range(n)
    )
    users = User.objects.bulk_create(
        User(email=f"u{i}@bench.example", password="!") for i in range(3 * n)
    )
    Membership.objects.bulk_create(
        Membership(user=users[i], partner=partners[i // 3], role="sales") for i in range(3 * n)
    )
    Certificate.objects.bulk_create(
        Certificate(
            user=users[i],
            certification=net,
            earned=dt.date(2025, 1, 1),
            expires=dt.date(2027, 1, 1),
        )
        for i in range(3 * n)
        if i % 3 != 2
    )
    sales = [
        Sale(
            external_id=f"S-{p.pk}-{j}",
            partner=p,
            product=product,
            customer_name="Customer",
            invoice_date=ON - dt.timedelta(days=1 + 17 * j),
            kind="sale",
            quantity=Decimal("1"),
            net_amount=Decimal(1000 + (p.pk * 37 + j * 101) % 9000),
            currency="TWD",
        )
        for p in partners
        for j in range(SALES_PER_PARTNER)
    ]
    Sale.objects.bulk_create(sales, batch_size=5000)
    Sale.objects.bulk_create(
        (
            Sale(
                external_id=f"R-{s.partner_id}",
                partner_id=s.partner_id,
                product=product,
                customer_name="Customer",
                invoice_date=ON - dt.timedelta(days=3),
                kind="return",
                original=s,
                quantity=Decimal("1"),
                net_amount=Decimal("500"),
                currency="TWD",
            )
            for s in sales[::SALES_PER_PARTNER]
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def moves(runs: int) -> None:
    """The nightly tier moves over the same partners: the first night writes every proposal
    and notice with its events and notifications; the following nights find them open."""
    from enablement.moves import tier_moves_apply

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        first = tier_moves_apply(on=ON)
        elapsed = (time.perf_counter() - started) * 1000
    queries = len(ctx.captured_queries)
    print(f"tier moves, first night: {elapsed:.0f} ms, {queries} queries; {first}")
    with CaptureQueriesContext(connection) as ctx:
        tier_moves_apply(on=ON)
    nights = timed(lambda: tier_moves_apply(on=ON), runs)
    print(
        f"tier moves, next nights: median {statistics.median(nights):.0f} ms, "
        f"{len(ctx.captured_queries)} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")

    from commissions.models import Sale
    from enablement.tiers import tier_evaluations

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        build(args.partners)
        print(f"Built {args.partners:,} partners in {time.perf_counter() - started:.1f} s")
        with CaptureQueriesContext(connection) as ctx:
            result = tier_evaluations(on=ON)
        assert len(result) == args.partners
        proposals = {k: sum(r["proposal"] == k for r in result) for k in ("promote", "keep")}
        proposals["demote"] = len(result) - sum(proposals.values())
        evaluation = timed(lambda: tier_evaluations(on=ON), args.runs)
        bare = timed(
            lambda: list(
                Sale.objects.filter(invoice_date__lt=ON)
                .values("partner_id")
                .annotate(t=Sum("net_amount"))
                .order_by()
            ),
            args.runs,
        )
        e, b = statistics.median(evaluation), statistics.median(bare)
        print(f"queries per evaluation: {len(ctx.captured_queries)}; proposals: {proposals}")
        print(
            f"evaluate all partners: median {e:.0f} ms (min {min(evaluation):.0f}, "
            f"max {max(evaluation):.0f})"
        )
        print(f"bare GROUP BY sum of sales: median {b:.0f} ms; ratio {e / b:.1f}×")
        moves(args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
