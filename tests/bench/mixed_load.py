"""A mixed load of many signed-in users with writes, against gunicorn.

    DATABASE_URL=postgres://USER@HOST:5432/prm .venv/bin/python tests/bench/mixed_load.py

It creates a throw-away database (test_<name>), fills it with the data set of
`tests/bench/partner_list.py` (5,000 partners by default), starts gunicorn (2 sync workers, the
production settings over plain HTTP on 127.0.0.1, the cache in Redis) and drives it from 16
threads with one connection each. Every request comes from one of many sessions: vendor staff
(admins and channel managers, two browsers each) and the admin and sales user of 80 active
partners. Nineteen requests in twenty ask for a dashboard or a list page the session's role may
see; every twentieth is a write through the API, in turn a deal registered by a partner's sales
user, a notification marked read and a sales import of ten rows by a vendor admin.

It prints the requests per second and the median time of a page and of a write. Any answer
other than the expected one fails the run. This is the load that decided against a page cache
(README, "Page cache"). Options: --partners N (default 5000), --seconds N (default 50),
--concurrency N (default 16), --keepdb.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

WORK_DIR = Path(tempfile.mkdtemp(prefix="prm-bench-mixed-"))
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "prm.settings.production",
    "DJANGO_INSECURE_LOCAL_HTTP": "true",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 50,
    "DJANGO_STATIC_ROOT": str(WORK_DIR / "static"),
    "DJANGO_MEDIA_ROOT": str(WORK_DIR / "media"),
    "PRM_MFA_REQUIRED_FOR_STAFF": "false",
    # A Redis database of the benchmark's own for the cache; the queue stays in a local folder
    # that no worker reads, so no task reaches another database's workers.
    "REDIS_CACHE_URL": os.environ.get("PRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    "CELERY_BROKER_URL": "filesystem://",
    "CELERY_FILESYSTEM_DIR": str(WORK_DIR / "celery"),
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

PORT = 8766
VENDOR_PAGES = ["/", "/partners/", "/deals/", "/agreements/", "/disputes/", "/reviews/"]
VENDOR_PAGES += ["/announcements/"]
PARTNER_PAGES = ["/", "/pricing/", "/deals/", "/disputes/", "/announcements/", "/reviews/"]
WRITE_EVERY = 20
VENDOR_SHARE = 0.3
SESSION_PARTNERS = 80
IMPORT_ROWS = 10
SKUS = ["ML-NET-1", "ML-SEC-1", "ML-WLAN-1"]


class Session:
    def __init__(self, kind: str, user, cookie: str, token: str, partner=None):
        self.kind = kind
        self.user = user
        self.cookie = cookie
        self.token = token
        self.partner = partner
        self.pages: list[str] = []


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _sessions(partner_count: int) -> tuple[list[Session], list[Session], dict]:
    """The signed-in sessions of the load, API tokens for the writes, unread notifications."""
    from django.contrib.auth.models import Permission

    from agreements.models import Product, ProductLine
    from partners.models import Membership, Partner
    from prm.accounts.models import User
    from prm.accounts.services import api_token_rotate
    from prm.notifications.models import Notification

    logging.getLogger("prm.security").setLevel(logging.WARNING)
    line = ProductLine.objects.get_or_create(code="NET", defaults={"name": "NET"})[0]
    for sku in SKUS:
        Product.objects.get_or_create(
            sku=sku, defaults={"name": sku, "line": line, "currency": "TWD"}
        )
    view_all = Permission.objects.get(codename="view_all_partners")
    staff = list(User.objects.filter(vendor_role__in=["admin", "channel_manager"]).order_by("pk"))
    for n in range(len(staff), 8):
        role = "admin" if n % 2 else "channel_manager"
        user = User.objects.create_user(
            email=f"mixed-{role}-{n}@vendor.test", password="x", vendor_role=role
        )
        if role == "channel_manager":
            user.user_permissions.add(view_all)
        staff.append(user)
    active = list(Partner.objects.filter(status="active").order_by("pk"))
    chosen = active[:: max(len(active) // SESSION_PARTNERS, 1)][:SESSION_PARTNERS]
    vendor, partner = [], []
    for user in staff:
        token = api_token_rotate(user=user)[1]
        # Two browsers each.
        vendor += [Session(user.vendor_role, user, _session_cookie(user), token) for _ in "ab"]
    memberships = Membership.objects.filter(partner__in=chosen, is_active=True).select_related(
        "user", "partner"
    )
    for membership in memberships:
        token = api_token_rotate(user=membership.user)[1]
        partner.append(
            Session(
                f"partner {membership.role}",
                membership.user,
                _session_cookie(membership.user),
                token,
                membership.partner,
            )
        )
    users = [s.user for s in vendor + partner]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                category="deal",
                title=f"Bench notification {k}",
                url="/deals/",
                delivery="portal",
            )
            for user in users
            for k in range(40)
        ],
        batch_size=5000,
    )
    unread: dict[int, list[int]] = {}
    for pk, recipient in Notification.objects.filter(
        recipient__in=users, read_at__isnull=True
    ).values_list("pk", "recipient_id"):
        unread.setdefault(recipient, []).append(pk)
    territories = {
        p.pk: p.territories.order_by("code").values_list("code", flat=True).first() for p in chosen
    }
    return vendor, partner, {"unread": unread, "territories": territories, "partners": chosen}


def _request(method: str, path: str, headers: dict, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        conn.request(method, path, body=body, headers={**headers, "Connection": "close"})
        response = conn.getresponse()
        content = response.read()
        return response.status, content
    finally:
        conn.close()


def _get(session: Session, path: str):
    return _request("GET", path, {"Cookie": session.cookie})


def _post_json(session: Session, path: str, data: dict):
    headers = {"Authorization": f"Token {session.token}", "Content-Type": "application/json"}
    return _request("POST", path, headers, json.dumps(data).encode())


def _post_csv(session: Session, path: str, content: bytes):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="sales.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Token {session.token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    return _request("POST", path, headers, body)


class Load:
    """One slice of the mixed load against the running server."""

    def __init__(self, vendor, partner, data, seconds: float, concurrency: int, seed: int):
        self.vendor, self.partner, self.data = vendor, partner, data
        self.sales = [s for s in partner if s.kind == "partner sales"]
        self.admins = [s for s in vendor if s.kind == "admin"]
        self.seconds, self.concurrency = seconds, concurrency
        self.counter = itertools.count()
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.pages: list[float] = []
        self.writes: list[float] = []
        self.errors: list[str] = []
        self.tag = uuid.uuid4().hex[:8]

    def _pick(self):
        with self.lock:
            n = next(self.counter)
            group = self.vendor if self.random.random() < VENDOR_SHARE else self.partner
            session = self.random.choice(group)
            return n, session, self.random.choice(session.pages)

    def _write(self, n: int, session: Session):
        kind = (n // WRITE_EVERY) % 3
        today = timezone.localdate()
        if kind == 0:
            seller = self.sales[n % len(self.sales)]
            data = {
                "customer_name": f"Mixed Customer {self.tag} {n}",
                "customer_tax_id": f"{self.tag}{n}",
                "territory": self.data["territories"][seller.partner.pk],
                "product_lines": ["NET"],
                "estimated_value": "125000.00",
                "currency": "TWD",
                "expected_close": (today + timezone.timedelta(days=45)).isoformat(),
            }
            return "deal", 201, _post_json(seller, "/api/v1/deals/", data)
        if kind == 1:
            with self.lock:
                unread = self.data["unread"].get(session.user.pk)
                data = {"ids": [unread.pop()]} if unread else {}
            return "read", 200, _post_json(session, "/api/v1/notifications/read/", data)
        admin = self.admins[n % len(self.admins)]
        partners = self.data["partners"]
        rows = "".join(
            f"ML-{self.tag}-{n}-{k},{partners[(n + k) % len(partners)].code},"
            f"{SKUS[k % len(SKUS)]},Customer {k},,,,{today.isoformat()},sale,{k + 1},"
            f"{1000 + k}.50,TWD,\n"
            for k in range(IMPORT_ROWS)
        )
        header = (
            "external_id,partner_code,sku,customer_name,customer_tax_id,segment,territory,"
            "invoice_date,kind,quantity,net_amount,currency,original_external_id\n"
        )
        return "import", 201, _post_csv(admin, "/api/v1/sales/imports/", (header + rows).encode())

    def _worker(self, deadline: float):
        while True:
            n, session, path = self._pick()
            started = time.monotonic()
            if n % WRITE_EVERY == WRITE_EVERY - 1:
                what, expected, (status, content) = self._write(n, session)
                timings = self.writes
            else:
                what, expected, (status, content) = path, 200, _get(session, path)
                timings = self.pages
            finished = time.monotonic()
            if finished > deadline:
                return
            with self.lock:
                timings.append(finished - started)
                if status != expected:
                    self.errors.append(f"{what} as {session.kind}: {status} {content[:300]!r}")

    def run(self) -> float:
        started = time.monotonic()
        deadline = started + self.seconds
        threads = [
            threading.Thread(target=self._worker, args=(deadline,)) for _ in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self.seconds


def _allowed_pages(warm: list[Session], sessions: list[Session]) -> None:
    """Each session requests the pages its role may see, found with one session of each kind."""
    by_kind = {}
    for session in warm:
        candidates = PARTNER_PAGES if session.partner else VENDOR_PAGES
        session.pages = [p for p in candidates if _get(session, p)[0] == 200]
        by_kind[session.kind] = session.pages
        print(f"  {session.kind:<16} {' '.join(session.pages)}")
    for session in sessions:
        session.pages = by_kind[session.kind]


def _report(load: Load, elapsed: float) -> None:
    rate = (len(load.pages) + len(load.writes)) / elapsed
    print(
        f"{rate:.1f} req/s: {len(load.pages)} pages (median "
        f"{statistics.median(load.pages) * 1000:.0f} ms), {len(load.writes)} writes (median "
        f"{statistics.median(load.writes) * 1000:.0f} ms), {len(load.errors)} unexpected answers"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keepdb", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: this benchmark measures PostgreSQL.")

    import partner_list

    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    try:
        from partners.models import Partner

        if not Partner.objects.exists():
            started = time.perf_counter()
            partner_list.build(args.partners)
            print(f"Built {args.partners:,} partners in {time.perf_counter() - started:.1f} s")
        call_command("collectstatic", interactive=False, verbosity=0)
        vendor, partner, data = _sessions(args.partners)
        database = settings.DATABASES["default"]
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{test_name}"
        print(
            f"gunicorn, 2 workers; {args.concurrency} connections; {len(vendor)} vendor staff "
            f"and {len(partner)} partner sessions ({len(data['partners'])} partners); one write "
            f"in {WRITE_EVERY}; {args.seconds:.0f} s; PostgreSQL "
            f"{connection.pg_version // 10000}"
        )
        server = gunicorn_server.start({**os.environ, **SERVER_ENV, "DATABASE_URL": url}, PORT)
        try:
            sessions = vendor + partner
            warm = {s.kind: s for s in reversed(sessions)}  # each kind of session once
            print("Pages requested:")
            _allowed_pages(list(warm.values()), sessions)
            load = Load(vendor, partner, data, args.seconds, args.concurrency, seed=0)
            elapsed = load.run()
        finally:
            server.terminate()
            server.wait(timeout=60)
        _report(load, elapsed)
        errors = load.errors
        if errors:
            print(f"\n{len(errors)} unexpected answers, the first ones:")
            for error in errors[:10]:
                print(f"  {error}")
            sys.exit(1)
    finally:
        shutil.rmtree(WORK_DIR, ignore_errors=True)
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
