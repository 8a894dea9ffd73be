"""Benchmark of the partner directory and the 360° page with 5,000 partners on PostgreSQL.

    DATABASE_URL=postgres://USER@HOST:5432/prm .venv/bin/python tests/bench/partner_list.py

It creates a throw-away test database (test_<name>), migrates it, bulk-creates 5,000 partners
(each with two users, territories, three deal registrations, an agreed target for half of them,
history events), then requests the pages through django.test.Client as a vendor admin and as a
channel manager assigned to every partner. For each page it prints the number of SQL queries and
the median, fastest and slowest of several timed runs (after one warm-up). The database is
dropped at the end. Options: --partners N (default 5000), --runs N (default 9), --keepdb.
"""

from __future__ import annotations

import argparse
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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

PAGES = [
    ("partner list, first page", "/partners/", {}),
    (
        "partner list, filtered",
        "/partners/",
        {"status": "active", "risk": "medium", "territory": "TW", "tier": "gold"},
    ),
    ("partner list, sorted by name desc", "/partners/", {"sort": "-name", "page": "7"}),
    ("partner list, sorted by attainment", "/partners/", {"sort": "-attainment"}),
    ("partner list, flagged only", "/partners/", {"flagged": "on", "sort": "overdue"}),
    ("partner 360 page", "/partners/P-02500/", {}),
    ("deal list, first page", "/deals/", {}),
]


def build(partner_count: int):
    """Bulk-create the data set; returns (vendor admin, channel manager)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from agreements.models import ProductLine
    from partners.models import (
        DealRegistration,
        Membership,
        Partner,
        PartnerUserObjectPermission,
        Segment,
        Target,
        Territory,
        Tier,
    )
    from partners.periods import current_period
    from prm.accounts.models import User
    from prm.core.models import Event

    tiers = [
        Tier.objects.create(code=code, name=code.title(), rank=rank)
        for rank, code in enumerate(["registered", "silver", "gold", "platinum"], start=1)
    ]
    territories = [
        Territory.objects.create(code=code, name=code)
        for code in ["TW", "TW-TPE", "TW-NWT", "TW-HSZ", "TW-TXG", "TW-KHH", "HK", "SG", "JP-13"]
    ]
    Segment.objects.create(code="enterprise", name="Enterprise")
    lines = [
        ProductLine.objects.get_or_create(code=c, defaults={"name": c})[0]
        for c in ("NET", "SEC", "WLAN")
    ]
    admin = User.objects.create_user(
        email="bench-admin@vendor.test", password="x", vendor_role="admin", full_name="Bench Admin"
    )
    manager = User.objects.create_user(
        email="bench-cm@vendor.test",
        password="x",
        vendor_role="channel_manager",
        full_name="Bench Manager",
    )
    statuses = ["active"] * 6 + ["onboarding", "prospect", "suspended", "terminated"]
    risks = ["low", "low", "medium", "high"]
    partners = Partner.objects.bulk_create(
        [
            Partner(
                code=f"P-{i:05d}",
                name=f"Distributor {i:05d}",
                local_name=f"經銷商 {i:05d}",
                legal_name=f"Distributor {i:05d} Co., Ltd.",
                country="TW",
                currency="TWD",
                tier=tiers[i % 4],
                status=statuses[i % len(statuses)],
                account_manager=manager if i % 5 else admin,
                credit_limit=Decimal(1_000_000 + (i % 7) * 250_000),
                overdue_receivables=Decimal((i % 11) * 200_000),
                risk_rating=risks[i % 4],
            )
            for i in range(partner_count)
        ],
        batch_size=2000,
    )
    through = Partner.territories.through
    through.objects.bulk_create(
        [
            through(partner_id=p.pk, territory_id=territories[1 + i % (len(territories) - 1)].pk)
            for i, p in enumerate(partners)
        ]
        + [
            through(
                partner_id=p.pk, territory_id=territories[1 + (i + 3) % (len(territories) - 1)].pk
            )
            for i, p in enumerate(partners)
            if i % 2
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    permission = Permission.objects.get(
        codename="manage_partner", content_type=ContentType.objects.get_for_model(Partner)
    )
    PartnerUserObjectPermission.objects.bulk_create(
        [
            PartnerUserObjectPermission(user=manager, permission=permission, content_object=p)
            for p in partners
        ],
        batch_size=5000,
    )
    users = User.objects.bulk_create(
        [
            User(email=f"user{i}-{j}@p{i}.test", full_name=f"User {i}-{j}", password="!")
            for i in range(partner_count)
            for j in range(2)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=user, partner=partners[n // 2], role=["admin", "sales"][n % 2])
            for n, user in enumerate(users)
        ],
        batch_size=5000,
    )
    period = current_period()
    now = timezone.now()
    Target.objects.bulk_create(
        [
            Target(
                partner=p,
                period=period,
                currency="TWD",
                amount=Decimal(1_000_000 + i),
                status="agreed",
                agreed_at=now,
            )
            for i, p in enumerate(partners)
            if i % 2 == 0
        ],
        batch_size=5000,
    )
    close = timezone.localdate() + timezone.timedelta(days=60)
    deals = DealRegistration.objects.bulk_create(
        [
            DealRegistration(
                partner=p,
                customer_name=f"Customer {i}-{k}",
                customer_key=f"customer{i}{k}",
                customer_tax_id=f"{i:05d}{k:03d}",
                customer_tax_id_key=f"{i:05d}{k:03d}",
                territory=territories[1],
                estimated_value=Decimal("100000.00"),
                currency="TWD",
                expected_close=close,
            )
            for i, p in enumerate(partners)
            for k in range(3)
        ],
        batch_size=5000,
    )
    deal_lines = DealRegistration.product_lines.through
    deal_lines.objects.bulk_create(
        [
            deal_lines(dealregistration_id=d.pk, productline_id=lines[n % 3].pk)
            for n, d in enumerate(deals)
        ],
        batch_size=5000,
    )
    partner_type = ContentType.objects.get_for_model(Partner)
    Event.objects.bulk_create(
        [
            Event(
                actor=admin,
                verb="partner.status_changed",
                target_type=partner_type,
                target_id=str(p.pk),
                partner=p,
                before={"status": "onboarding"},
                after={"status": "active"},
                reason="Bench",
            )
            for p in partners
            for _ in range(4)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin, manager


def measure(client: Client, path: str, params: dict, runs: int) -> tuple[int, list[float]]:
    response = client.get(path, params)  # warm-up: templates, content types, plan cache
    assert response.status_code == 200, (path, response.status_code)
    timings = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
        queries = len(captured)
    return queries, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keepdb", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        started = time.perf_counter()
        admin, manager = build(args.partners)
        print(
            f"Built {args.partners:,} partners, {2 * args.partners:,} users, "
            f"{3 * args.partners:,} deals in {time.perf_counter() - started:.1f} s "
            f"(PostgreSQL {connection.pg_version // 10000}, Django DEBUG={settings.DEBUG})"
        )
        from partners.selectors import sales_available

        print(f"Sales model installed: {sales_available()}")
        print()
        header = f"{'page':<38} {'as':<16} {'queries':>7} {'median':>9} {'min':>9} {'max':>9}"
        print(header)
        print("-" * len(header))
        for user, label in ((admin, "vendor admin"), (manager, "channel manager")):
            client = Client()
            client.force_login(user)
            for name, path, params in PAGES:
                queries, timings = measure(client, path, params, args.runs)
                print(
                    f"{name:<38} {label:<16} {queries:>7} "
                    f"{statistics.median(timings):>7.1f}ms {min(timings):>7.1f}ms "
                    f"{max(timings):>7.1f}ms"
                )
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
