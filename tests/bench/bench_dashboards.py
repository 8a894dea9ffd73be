"""Benchmark of the two dashboards with 5,000 partners on PostgreSQL.

    DATABASE_URL=postgres://USER@HOST:5432/prm .venv/bin/python tests/bench/bench_dashboards.py

It creates a throw-away test database (test_<name>), migrates it and bulk-creates 5,000 partners,
each with three deal registrations, targets and open proposals, four cases in different SLA
states, twelve monthly statements, an agreement, a scheduled and four held business reviews with
action items, and the recipients of 40 announcements published to every partner. It then asks for
the dashboard as a vendor admin, as a channel manager assigned to four partners in five, and as a
partner admin, and for /healthz/ (a trivial view) as the baseline, all through
django.test.Client in the same run. For each it prints the number of SQL queries and the median,
fastest and slowest of the timed runs (after one warm-up), and the ratio of the median to the
baseline's. The database is dropped at the end. Options: --partners N (default 5000), --runs N
(default 15), --keepdb.
"""

from __future__ import annotations

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
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from partner_list import measure  # noqa: E402

BATCH = 5000
ANNOUNCEMENTS = 40


def build(partner_count: int):
    """Bulk-create the data set; returns (vendor admin, channel manager, partner admin)."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    from agreements.models import Agreement
    from commissions.models import Statement
    from disputes.models import Case
    from partners.models import (
        ActionItem,
        Announcement,
        AnnouncementRead,
        AnnouncementRecipient,
        BusinessReview,
        DealRegistration,
        Membership,
        Partner,
        PartnerUserObjectPermission,
        Target,
        TargetProposal,
        Territory,
        Tier,
    )
    from partners.periods import current_period, period_bounds, period_shift
    from prm.accounts.models import User

    now = timezone.now()
    today = timezone.localdate()
    tiers = [
        Tier.objects.create(code=code, name=code.title(), rank=rank)
        for rank, code in enumerate(["registered", "silver", "gold", "platinum"], start=1)
    ]
    territory = Territory.objects.create(code="TW-TPE", name="Taipei")
    admin = User.objects.create_user(
        email="bench-admin@vendor.test", password="x", vendor_role="admin", full_name="Bench Admin"
    )
    manager = User.objects.create_user(
        email="bench-cm@vendor.test",
        password="x",
        vendor_role="channel_manager",
        full_name="Bench Manager",
    )
    statuses = ["active"] * 7 + ["onboarding", "suspended", "terminated"]
    risks = ["low", "low", "medium", "high"]
    partners = Partner.objects.bulk_create(
        [
            Partner(
                code=f"P-{i:05d}",
                name=f"Distributor {i:05d}",
                local_name=f"經銷商 {i:05d}",
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
        batch_size=BATCH,
    )
    permission = Permission.objects.get(
        codename="manage_partner", content_type=ContentType.objects.get_for_model(Partner)
    )
    PartnerUserObjectPermission.objects.bulk_create(
        [
            PartnerUserObjectPermission(user=manager, permission=permission, content_object=p)
            for i, p in enumerate(partners)
            if i % 5
        ],
        batch_size=BATCH,
    )
    measured = partners[1]
    partner_admin = User.objects.create_user(
        email="bench-partner@p1.test", password="x", full_name="Partner Admin"
    )
    Membership.objects.create(user=partner_admin, partner=measured, role="admin")

    deal_statuses = ["pending", "approved", "rejected"]
    DealRegistration.objects.bulk_create(
        [
            DealRegistration(
                partner=p,
                customer_name=f"Customer {i}-{k}",
                customer_key=f"customer{i}{k}",
                customer_tax_id=f"{i:05d}{k:03d}",
                customer_tax_id_key=f"{i:05d}{k:03d}",
                territory=territory,
                estimated_value=Decimal("100000.00"),
                currency="TWD",
                expected_close=today + dt.timedelta(days=60),
                status=deal_statuses[(i + k) % 3],
                protected_until=today + dt.timedelta(days=90)
                if deal_statuses[(i + k) % 3] == "approved"
                else None,
            )
            for i, p in enumerate(partners)
            for k in range(3)
        ],
        batch_size=BATCH,
    )

    period = current_period()
    targets = Target.objects.bulk_create(
        [
            Target(
                partner=p,
                period=period_shift(period, offset),
                currency="TWD",
                amount=Decimal(1_000_000 + i) if offset == 0 else None,
                status="agreed" if offset == 0 else "negotiating",
                agreed_at=now if offset == 0 else None,
            )
            for i, p in enumerate(partners)
            for offset in (0, 1)
        ],
        batch_size=BATCH,
    )
    TargetProposal.objects.bulk_create(
        [
            TargetProposal(
                target=t, side="partner" if n % 4 else "vendor", amount=Decimal("1200000")
            )
            for n, t in enumerate(targets)
            if t.period != period and n % 3 == 1
        ],
        batch_size=BATCH,
    )

    hour = dt.timedelta(hours=1)
    day = dt.timedelta(days=1)
    case_shapes = [
        {"first_response_due": now - hour, "resolution_due": now + 10 * day},
        {
            "status": "in_progress",
            "first_responded_at": now - 9 * day,
            "first_response_due": now - 9 * day,
            "resolution_due": now - day,
            "escalated_at": now - day,
        },
        {"first_response_due": now + 8 * hour, "resolution_due": now + 14 * day},
        {
            "status": "resolved",
            "resolved_at": now - day,
            "first_response_due": now - 20 * day,
            "resolution_due": now - 10 * day,
        },
    ]
    Case.objects.bulk_create(
        [
            Case(
                kind="other",
                subject=f"Question {i}-{k}",
                description="Please check.",
                partner=p,
                raised_by=partner_admin if p is measured else None,
                owner=manager,
                **shape,
            )
            for i, p in enumerate(partners)
            for k, shape in enumerate(case_shapes)
            if k < 3 or i % 2
        ],
        batch_size=BATCH,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE disputes_case SET created_at = %s - (id %% 30) * interval '1 day'", [now]
        )

    months = [period_shift(period, -n) for n in range(12, 0, -1)]
    Statement.objects.bulk_create(
        [
            Statement(
                partner=p,
                period=month,
                period_start=period_bounds(month)[0],
                period_end=period_bounds(month)[1],
                currency="TWD",
                status="draft" if n == 11 else "paid",
                total=Decimal(10_000 + (i % 97) * 100 + n * 50),
                net_sales=Decimal(200_000 + n * 1000),
            )
            for i, p in enumerate(partners)
            for n, month in enumerate(months)
        ],
        batch_size=BATCH,
    )
    Agreement.objects.bulk_create(
        [
            Agreement(
                number=f"AG-{i:05d}",
                partner=p,
                status="expiring" if i % 20 == 0 else "active",
                start=today - 300 * day,
                end=today + (30 + i % 60) * day if i % 20 == 0 else today + 400 * day,
            )
            for i, p in enumerate(partners)
        ],
        batch_size=BATCH,
    )
    reviews = BusinessReview.objects.bulk_create(
        [
            BusinessReview(
                partner=p,
                scheduled_at=now + ((i % 120) - 20) * day,
                location="Taipei office",
                status="scheduled",
            )
            for i, p in enumerate(partners)
        ]
        + [
            BusinessReview(
                partner=p,
                scheduled_at=now - (90 * k + i % 30) * day,
                status="held",
                held_at=now - (90 * k + i % 30) * day,
            )
            for i, p in enumerate(partners)
            for k in range(1, 5)
        ],
        batch_size=BATCH,
    )
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                review=r,
                partner_id=r.partner_id,
                title=f"Follow up {r.pk}-{k}",
                side="partner" if k % 2 else "vendor",
                owner=manager if k % 2 == 0 else None,
                due_on=today + (k * 10 - 15) * day,
                done_at=now if k == 2 else None,
            )
            for r in reviews
            if r.status == "held"
            for k in range(3)
        ],
        batch_size=BATCH,
    )
    announcements = Announcement.objects.bulk_create(
        [
            Announcement(
                title=f"Announcement {n}",
                body="Details.",
                category="price_change" if n % 5 == 0 else "product_update",
                requires_acknowledgement=n % 5 == 0,
                acknowledge_by=today + (n % 10) * day if n % 5 == 0 else None,
                published_at=now - n * day,
                author=admin,
            )
            for n in range(ANNOUNCEMENTS)
        ]
    )
    for a in announcements:
        AnnouncementRecipient.objects.bulk_create(
            [
                AnnouncementRecipient(
                    announcement=a,
                    partner=p,
                    acknowledged_at=now if a.requires_acknowledgement and i % 3 else None,
                )
                for i, p in enumerate(partners)
            ],
            batch_size=BATCH,
        )
    AnnouncementRead.objects.bulk_create(
        [AnnouncementRead(announcement=a, user=partner_admin) for a in announcements[10:]]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return admin, manager, partner_admin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keepdb", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        started = time.perf_counter()
        admin, manager, partner_admin = build(args.partners)
        print(
            f"Built {args.partners:,} partners with deals, cases, statements, reviews, and "
            f"{ANNOUNCEMENTS} announcements to all of them "
            f"in {time.perf_counter() - started:.1f} s "
            f"(PostgreSQL {connection.pg_version // 10000}, Django DEBUG={settings.DEBUG})"
        )
        print()
        header = (
            f"{'page':<28} {'queries':>7} {'median':>9} {'min':>9} {'max':>9} {'× /healthz/':>12}"
        )
        print(header)
        print("-" * len(header))
        _queries, base = measure(Client(), "/healthz/", {}, args.runs)
        baseline = statistics.median(base)
        rows = [("/healthz/ (baseline)", _queries, base)]
        for user, label in (
            (admin, "dashboard, vendor admin"),
            (manager, "dashboard, channel manager"),
            (partner_admin, "dashboard, partner admin"),
        ):
            client = Client()
            client.force_login(user)
            queries, timings = measure(client, "/", {}, args.runs)
            rows.append((label, queries, timings))
        for label, queries, timings in rows:
            median = statistics.median(timings)
            print(
                f"{label:<28} {queries:>7} {median:>7.1f}ms {min(timings):>7.1f}ms "
                f"{max(timings):>7.1f}ms {median / baseline:>11.1f}×"
            )
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
