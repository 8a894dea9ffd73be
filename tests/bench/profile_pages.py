"""Where the server time of a page goes, request by request, on the data of `load_pages.py`.

    DATABASE_URL=postgres://USER@HOST:5432/prm .venv/bin/python tests/bench/profile_pages.py

Run `load_pages.py --keepdb` once first: this reads its database (test_<name>) with the
production settings, signs in the same five users and, for each page and role, prints the
median wall and process CPU time of `--requests` renders through the test client (the whole
middleware chain, context processors and templates), its query count, and with `--profile` the
functions that take most of the time (cProfile, sorted by cumulative time). `/notifications/badge/`
is the floor: what every signed-in request pays before its page does anything.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "prm.settings.production",
        "DJANGO_INSECURE_LOCAL_HTTP": "true",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECRET_KEY": "benchmark-only-" + "x" * 50,
        "PRM_MFA_REQUIRED_FOR_STAFF": "false",
        "DJANGO_STATIC_ROOT": str(Path(tempfile.gettempdir()) / "prm-profile-static"),
    }
)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402


def _users():
    from partners.models import Membership
    from prm.accounts.models import User

    admin = Membership.objects.filter(role="admin", is_active=True).order_by("pk").first()
    sales = Membership.objects.get(partner=admin.partner, role="sales", is_active=True)
    return {
        "vendor admin": User.objects.get(email="bench-admin@vendor.test"),
        "channel manager": User.objects.get(email="bench-cm@vendor.test"),
        "partner admin": admin.user,
        "partner finance": User.objects.filter(email="bench-finance@p0.test").first(),
        "partner sales": sales.user,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", default="vendor admin")
    parser.add_argument("--pages", default="/notifications/badge/,/")
    parser.add_argument("--requests", type=int, default=9)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", type=int, default=0, help="list each query, this many chars")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save-html", default="", help="write each page's HTML under this folder")
    parser.add_argument(
        "--language", default="", help="the language cookie's value (en, zh-hant); none by default"
    )
    args = parser.parse_args()
    if not (Path(os.environ["DJANGO_STATIC_ROOT"]) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    name = connection.settings_dict["NAME"]
    for alias in connections:
        connections[alias].settings_dict["NAME"] = "test_" + name
    users = _users()
    for role in [r.strip() for r in args.roles.split(",") if r.strip()]:
        client = Client()
        client.force_login(users[role])
        if args.language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = args.language
        for path in [p.strip() for p in args.pages.split(",") if p.strip()]:
            response = client.get(path)
            if response.status_code != 200:
                print(f"{path:<22} {role:<16} answered {response.status_code}")
                continue
            if args.save_html:
                folder = Path(args.save_html)
                folder.mkdir(parents=True, exist_ok=True)
                slug = (role + path).replace("/", "_").replace(" ", "-").replace("?", "~")
                (folder / f"{slug}.html").write_bytes(response.content)
            queries = []

            def timed(execute, sql, params, many, context, queries=queries):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    queries.append((time.perf_counter() - started, sql))

            with connection.execute_wrapper(timed):
                client.get(path)
            walls, cpus = [], []
            profiler = cProfile.Profile() if args.profile else None
            for _ in range(args.requests):
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler:
                    profiler.enable()
                client.get(path)
                if profiler:
                    profiler.disable()
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            print(
                f"{path:<22} {role:<16} wall {statistics.median(walls) * 1000:6.1f} ms  "
                f"cpu {statistics.median(cpus) * 1000:6.1f} ms  {len(queries)} queries "
                f"{sum(q[0] for q in queries) * 1000:5.1f} ms",
                flush=True,
            )
            if args.sql:
                for seconds, sql in sorted(queries, reverse=True):
                    print(f"    {seconds * 1000:6.1f} ms  {sql[: args.sql]}")
            if profiler:
                pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
