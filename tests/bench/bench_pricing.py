"""Price-sheet benchmark: 5,000 products for one partner, timings and query counts.

Run on PostgreSQL (a throwaway test database is created and dropped):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm \
        .venv/bin/python tests/bench/bench_pricing.py
"""

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
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
)

PRODUCTS = 5000


def build():
    from agreements.models import (
        PriceList,
        PriceListItem,
        PriceOverride,
        Product,
        ProductLine,
        Promotion,
        TierLineDiscount,
    )
    from partners.models import Membership, Partner, Tier
    from prm.accounts.services import user_create

    lines = [ProductLine.objects.create(code=f"L{i}", name=f"Line {i}") for i in range(10)]
    tier = Tier.objects.create(code="gold", name="Gold", rank=3, default_discount=Decimal("20"))
    for line in lines[:5]:
        TierLineDiscount.objects.create(tier=tier, line=line, percent=Decimal("25"))
    products = Product.objects.bulk_create(
        Product(sku=f"SKU-{i:05d}", name=f"Product {i}", line=lines[i % 10], currency="TWD")
        for i in range(PRODUCTS)
    )
    base = PriceList.objects.create(
        code="BASE", name="Base", currency="TWD", effective_from=dt.date(2000, 1, 1)
    )
    mid = PriceList.objects.create(
        code="2026", name="2026", currency="TWD", effective_from=dt.date(2026, 1, 1)
    )
    future = PriceList.objects.create(
        code="2027", name="2027", currency="TWD", effective_from=dt.date(2027, 1, 1)
    )
    PriceListItem.objects.bulk_create(
        PriceListItem(
            price_list=base, product=p, list_price=Decimal(1000 + i), map_price=Decimal(900 + i)
        )
        for i, p in enumerate(products)
    )
    PriceListItem.objects.bulk_create(
        PriceListItem(price_list=mid, product=p, list_price=Decimal(1100 + i))
        for i, p in enumerate(products[::2])
    )
    PriceListItem.objects.bulk_create(
        PriceListItem(price_list=future, product=p, list_price=Decimal(1200 + i))
        for i, p in enumerate(products[::5])
    )
    partner = Partner.objects.create(
        code="P-BENCH", name="Bench", tier=tier, currency="TWD", status="active"
    )
    PriceOverride.objects.bulk_create(
        PriceOverride(partner=partner, product=p, discount=Decimal("30")) for p in products[::10]
    )
    for i in range(20):
        promo = Promotion.objects.create(
            code=f"PR{i}",
            percent=Decimal(i % 7 + 1),
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
            line=lines[i % 10] if i % 3 else None,
        )
        if i % 2:
            promo.tiers.add(tier)
    user = user_create(email="bench@partner.test", password="x" * 12, email_verified=True)
    Membership.objects.create(user=user, partner=partner, role="admin")
    return partner, user


def timed(label, fn, runs=5):
    samples = []
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        result = fn()
    status = getattr(result, "status_code", None)
    if status is not None and status != 200:
        raise SystemExit(f"{label}: HTTP {status}")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    print(f"{label:<44} median {statistics.median(samples):8.1f} ms   queries {len(queries)}")


def main():
    from agreements.pricing import price_row_as_dict, price_sheet

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor}, products: {PRODUCTS}")
        partner, user = build()
        on = dt.date(2026, 11, 15)
        client = Client()
        client.force_login(user)
        timed("price_sheet(): all products (service)", lambda: price_sheet(partner=partner, on=on))
        timed(
            "price sheet as contract dicts (export_prices)",
            lambda: [price_row_as_dict(r) for r in price_sheet(partner=partner, on=on)],
        )
        timed("GET /pricing/ (page of 50)", lambda: client.get("/pricing/"))
        timed("GET /pricing/?page=80", lambda: client.get("/pricing/?page=80"))
        timed("GET /pricing/?q=SKU-04", lambda: client.get("/pricing/?q=SKU-04"))
        timed("GET /pricing/export.csv (all)", lambda: client.get("/pricing/export.csv"), runs=3)
        timed("GET /api/v1/pricing/ (all)", lambda: client.get("/api/v1/pricing/"), runs=3)
    finally:
        teardown_databases(old, verbosity=0)


if __name__ == "__main__":
    main()
