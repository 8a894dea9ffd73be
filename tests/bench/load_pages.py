"""Throughput of fresh list pages and dashboards under load, for each role, against a trivial view.

    DATABASE_URL=postgres://USER@HOST:5432/prm .venv/bin/python tests/bench/load_pages.py

The spec's budget: under gunicorn with 2 workers and 16 concurrent connections, every list page
serves at least 15% of the requests per second of a trivial Django view. The budget is checked
against `/healthz/` (anonymous, one query); the ratio to `/notifications/badge/` (signed in: the
same session and user lookups as a page, one count query, a one-line template) is printed beside
it.

It creates a throw-away database (test_<name>), fills it with the data set of
`tests/bench/partner_list.py` (5,000 partners by default, each with two users, three deal
registrations, a target for half of them), a catalogue of 500 products with their price lists,
promotions and the first partner's own prices, and the rows of the other list pages from
`tests/bench/page_data.py`: an agreement per partner with its versions, six monthly payout
statements per partner past onboarding, about two cases per partner, a business review per
partner and quarter for a year, 40 announcements to every partner (half to acknowledge) and
three drafts, and 150 notifications for each signed-in user (each part is added to a database
kept with --keepdb that lacks it). It vacuums and analyses the database, as autovacuum keeps a
production one, collects static files, starts gunicorn (2 sync workers)
with the production settings, every page rendered afresh, over plain HTTP on 127.0.0.1, signs in
a vendor admin, a channel manager (granted every partner, and account manager of four in
five), and a partner's admin,
finance and sales users, then drives every list page and dashboard each role may open with
ApacheBench (`ab`, Debian package `apache2-utils`) at 16 concurrent connections. It prints
requests per second and the ratio to `/healthz/` measured just before, then the page and role
pairs that miss their budget (list pages 15%, dashboards 10%); it fails if any response was not
a 200. Options:
--partners N (default 5000), --requests N per page (default 800), --concurrency N (default 16),
--keepdb, --port N (default 8765), --roles "vendor admin,partner sales" and --pages "/,/deals/"
to measure only some pairs.

Beside each rate it prints the server's CPU time per request: the gunicorn workers' and their
PostgreSQL backends' user and system time (from /proc) over the run of `ab`, divided by its
requests, and `/healthz/`'s over the page's, the same budget counted in CPU instead of
throughput. On a machine other jobs share, req/s swings with their load from one run of `ab` to
the next; CPU time per request moves far less.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

STATIC_ROOT = tempfile.mkdtemp(prefix="prm-bench-static-")
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "prm.settings.production",
    "DJANGO_INSECURE_LOCAL_HTTP": "true",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 50,
    "DJANGO_STATIC_ROOT": STATIC_ROOT,
    "PRM_MFA_REQUIRED_FOR_STAFF": "false",
}
os.environ.update(SERVER_ENV)

import django  # noqa: E402

django.setup()

import gunicorn_server  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

PORT = 8765
BASELINE = "/healthz/"
VENDOR_PAGES = [
    "/",
    "/partners/",
    "/deals/",
    "/agreements/",
    "/payouts/",
    "/disputes/",
    "/reviews/",
    "/announcements/",
    "/notifications/",
]
# Every list page and dashboard each role may open (the URL x role matrix in tests/access).
ROLE_PAGES = {
    "vendor admin": VENDOR_PAGES,
    "channel manager": VENDOR_PAGES,
    "partner admin": [
        "/",
        "/pricing/",
        "/deals/",
        "/payouts/",
        "/disputes/",
        "/announcements/",
        "/reviews/",
        "/notifications/",
    ],
    "partner finance": ["/", "/pricing/", "/payouts/", "/disputes/", "/announcements/"],
    "partner sales": ["/", "/pricing/", "/deals/", "/disputes/", "/announcements/"],
}
DASHBOARDS = frozenset({"/"})
# A trivial signed-in view: the same session and user lookups as a page, one count and a
# one-line template (the navigation bar's unread badge).
SIGNED_IN_BASELINE = "/notifications/badge/"
BUDGET = 0.15
DASHBOARD_BUDGET = 0.10


CATALOGUE = 500


def _catalogue(partner) -> None:
    """A catalogue for the price sheets: 500 products in the partners' currency over three lines,
    a base price list, this year's for half of them and next year's for a fifth (the upcoming
    changes), tier discounts by line, ten promotions and `partner`'s own price for one in ten."""
    import datetime as dt

    from agreements.models import (
        PriceList,
        PriceListItem,
        PriceOverride,
        Product,
        ProductLine,
        Promotion,
        TierLineDiscount,
    )
    from partners.models import Tier

    lines = list(ProductLine.objects.order_by("code"))
    products = Product.objects.bulk_create(
        Product(
            sku=f"SKU-{i:05d}",
            name=f"Product {i}",
            local_name=f"產品 {i}",
            line=lines[i % len(lines)],
            currency="TWD",
        )
        for i in range(CATALOGUE)
    )
    today = timezone.localdate()
    lists = [
        PriceList.objects.create(
            code=code, name=code, currency="TWD", effective_from=effective_from
        )
        for code, effective_from in (
            ("BASE", dt.date(2000, 1, 1)),
            (f"Y{today.year}", dt.date(today.year, 1, 1)),
            (f"Y{today.year + 1}", dt.date(today.year + 1, 1, 1)),
        )
    ]
    PriceListItem.objects.bulk_create(
        [
            PriceListItem(
                price_list=lists[0],
                product=p,
                list_price=Decimal(1000 + i),
                map_price=Decimal(900 + i),
            )
            for i, p in enumerate(products)
        ]
        + [
            PriceListItem(price_list=lists[1], product=p, list_price=Decimal(1100 + i))
            for i, p in enumerate(products[::2])
        ]
        + [
            PriceListItem(price_list=lists[2], product=p, list_price=Decimal(1200 + i))
            for i, p in enumerate(products[::5])
        ]
    )
    for tier in Tier.objects.all():
        TierLineDiscount.objects.bulk_create(
            TierLineDiscount(tier=tier, line=line, percent=Decimal(5 * tier.rank))
            for line in lines[:2]
        )
    for i in range(10):
        promotion = Promotion.objects.create(
            code=f"PR{i}",
            percent=Decimal(i % 7 + 1),
            start=today - dt.timedelta(days=30),
            end=today + dt.timedelta(days=30),
            line=lines[i % len(lines)] if i % 3 else None,
        )
        if i % 2:
            promotion.tiers.add(partner.tier)
    PriceOverride.objects.bulk_create(
        PriceOverride(partner=partner, product=p, discount=Decimal("30")) for p in products[::10]
    )


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _check(path: str, cookie: str) -> str | None:
    """None when the page answers 200 to this user, else why not (the page is then skipped)."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            if response.status != 200 or response.geturl().endswith("/accounts/login/"):
                return f"{response.status} {response.geturl()}"
    except urllib.error.HTTPError as error:
        return f"{error.code}"
    return None


class ServerCpu:
    """CPU seconds used so far by the gunicorn workers and their PostgreSQL backends."""

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, server: subprocess.Popen, database: str) -> None:
        self.server = server
        self.database = database

    def _pids(self) -> list[str]:
        workers = subprocess.run(
            ["pgrep", "-P", str(self.server.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            )
            backends = [str(row[0]) for row in cursor.fetchall()]
        return workers + backends

    def read(self) -> dict[str, float]:
        seconds = {}
        for pid in self._pids():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / self.TICKS
        return seconds


CPU: ServerCpu | None = None
LAST_CPU_MS = 0.0


def _ab(path: str, cookie: str, requests: int, concurrency: int) -> float:
    """Requests per second of `ab` on `path`; the server's CPU milliseconds per request of the
    run are left in LAST_CPU_MS (processes present before and after it)."""
    global LAST_CPU_MS
    before = CPU.read() if CPU is not None else {}
    command = ["ab", "-q", "-n", str(requests), "-c", str(concurrency)]
    if cookie:
        command += ["-C", cookie]
    command.append(f"http://127.0.0.1:{PORT}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    failed = re.search(r"Non-2xx responses:\s+(\d+)", output)
    if failed:
        sys.exit(f"{path}: {failed.group(1)} responses were not 2xx\n{output}")
    errors = re.search(r"Failed requests:\s+(\d+)", output)
    if errors and int(errors.group(1)):
        # ab counts responses of a different length as failures; pages vary (timestamps).
        lengths = re.search(r"Length: (\d+)", output)
        if not lengths or int(lengths.group(1)) != int(errors.group(1)):
            sys.exit(f"{path}: failed requests\n{output}")
    if CPU is not None:
        after = CPU.read()
        used = sum(after[pid] - start for pid, start in before.items() if pid in after)
        LAST_CPU_MS = used * 1000 / requests
    return float(re.search(r"Requests per second:\s+([\d.]+)", output).group(1))


def _select(args: argparse.Namespace) -> None:
    global PORT
    PORT = args.port
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    pages = {page.strip() for page in args.pages.split(",") if page.strip()}
    unknown = [role for role in roles if role not in ROLE_PAGES]
    if unknown:
        sys.exit(f"unknown roles {unknown}; choose among {list(ROLE_PAGES)}")
    for label in list(ROLE_PAGES):
        if roles and label not in roles:
            del ROLE_PAGES[label]
        elif pages:
            ROLE_PAGES[label] = [path for path in ROLE_PAGES[label] if path in pages]


def main() -> None:
    global CPU
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keepdb", action="store_true")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--roles", default="", help="comma-separated roles (default: all)")
    parser.add_argument("--pages", default="", help="comma-separated paths (default: all)")
    args = parser.parse_args()
    _select(args)
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")
    if not shutil.which("ab"):
        sys.exit("ApacheBench (ab) is needed: apt-get install apache2-utils")

    import page_data
    import partner_list

    old_name = connection.settings_dict["NAME"]
    # serialize=False: the test runner's copy of the data (an ORM read of every row, minutes at
    # 5,000 partners with --keepdb) serves no purpose here.
    test_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=True
    )
    server = None
    try:
        from partners.models import Membership, Partner

        if not Partner.objects.exists():
            started = time.perf_counter()
            partner_list.build(args.partners)
            print(f"Built {args.partners:,} partners in {time.perf_counter() - started:.1f} s")
        from agreements.models import Agreement, Product
        from prm.accounts.models import User

        admin = User.objects.get(email="bench-admin@vendor.test")
        manager = User.objects.get(email="bench-cm@vendor.test")
        partner_admin = (
            Membership.objects.filter(role="admin", is_active=True).order_by("pk").first()
        )
        partner_sales = Membership.objects.get(
            partner=partner_admin.partner, role="sales", is_active=True
        )
        finance, _ = User.objects.get_or_create(
            email="bench-finance@p0.test", defaults={"full_name": "Bench Finance"}
        )
        Membership.objects.get_or_create(
            user=finance, partner=partner_admin.partner, defaults={"role": "finance"}
        )
        if not Product.objects.exists():
            _catalogue(partner_admin.partner)
        if not Agreement.objects.exists():
            started = time.perf_counter()
            counts = page_data.build(
                admin=admin,
                users=[admin, manager, partner_admin.user, finance, partner_sales.user],
            )
            print(
                f"Built the list pages' rows in {time.perf_counter() - started:.1f} s: "
                + ", ".join(f"{count:,} {table}" for table, count in counts.items())
            )
        # As autovacuum keeps a production database: the visibility map lets an index answer
        # a count alone, and the statistics are current (a cluster may run with autovacuum off).
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
            # The pages the vacuum dirtied are written now, not by the checkpointer while the
            # first pages are measured.
            cursor.execute("CHECKPOINT")
        print(f"VACUUM (ANALYZE) and CHECKPOINT in {time.perf_counter() - started:.1f} s")
        call_command("collectstatic", interactive=False, verbosity=0)
        cookies = {
            "vendor admin": _session_cookie(admin),
            "channel manager": _session_cookie(manager),
            "partner admin": _session_cookie(partner_admin.user),
            "partner finance": _session_cookie(finance),
            "partner sales": _session_cookie(partner_sales.user),
        }

        database = settings.DATABASES["default"]
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{test_name}"
        env = {**os.environ, **SERVER_ENV, "DATABASE_URL": url}
        server = gunicorn_server.start(env, PORT)
        CPU = ServerCpu(server, test_name)
        print(
            f"gunicorn, 2 workers; {args.concurrency} connections; {args.requests} requests "
            f"per page; PostgreSQL {connection.pg_version // 10000}; "
            f"CONN_MAX_AGE={database.get('CONN_MAX_AGE')}"
        )
        _ab(BASELINE, "", args.requests, args.concurrency)  # warm-up
        header = (
            f"{'page':<16} {'as':<16} {'req/s':>7} {'healthz':>8} {'ratio':>6} "
            f"{'badge':>7} {'ratio':>6} {'cpu ms':>7} {'hz ms':>6} {'ratio':>6}  budget"
        )
        print(header)
        print("-" * len(header))
        misses, skipped = [], []
        for label, pages in ROLE_PAGES.items():
            for path in pages:
                refused = _check(path, cookies[label])
                if refused:
                    skipped.append(f"{path} as {label}: {refused}")
                    continue
                _ab(path, cookies[label], max(args.requests // 10, 20), args.concurrency)
                baseline = _ab(BASELINE, "", args.requests, args.concurrency)
                baseline_cpu = LAST_CPU_MS
                signed_in = _ab(SIGNED_IN_BASELINE, cookies[label], args.requests, args.concurrency)
                rate = _ab(path, cookies[label], args.requests, args.concurrency)
                page_cpu = LAST_CPU_MS
                ratio = rate / baseline
                budget = DASHBOARD_BUDGET if path in DASHBOARDS else BUDGET
                verdict = "ok" if ratio >= budget else "MISS"
                if ratio < budget:
                    misses.append(f"{path} as {label}: {ratio:.1%} (budget {budget:.0%})")
                print(
                    f"{path:<16} {label:<16} {rate:>7.1f} {baseline:>8.1f} {ratio:>6.1%} "
                    f"{signed_in:>7.1f} {rate / signed_in:>6.1%} {page_cpu:>7.2f} "
                    f"{baseline_cpu:>6.2f} {baseline_cpu / page_cpu if page_cpu else 0:>6.1%}"
                    f"  {verdict}",
                    flush=True,
                )
        print(
            f"\nBudgets: list pages at least {BUDGET:.0%} of /healthz/, "
            f"dashboards at least {DASHBOARD_BUDGET:.0%}."
        )
        print(f"{len(misses)} page and role pairs miss their budget" + (":" if misses else "."))
        for miss in misses:
            print(f"  {miss}")
        for skip in skipped:
            print(f"  skipped (not open to the role) {skip}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(STATIC_ROOT, ignore_errors=True)
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
