"""Backup and restore (README, "Backup and restore"): `bin/backup` dumps the database with
pg_dump, `bin/restore` restores it into a fresh database, checks the migrations and runs the
reconciliation; the restored database holds the same rows."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from .services import ROOT, database_url, require

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (
    "partners_partner",
    "agreements_agreement",
    "agreements_agreementversion",
    "commissions_sale",
    "commissions_statement",
    "commissions_statementline",
    "commissions_recomputerequest",
    "commissions_importbatch",
    "disputes_case",
    "core_event",
    "notifications_notification",
)


def _counts(url: str) -> dict[str, int]:
    with psycopg2.connect(url) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)",
            [list(TABLES)],
        )
        present = sorted(row[0] for row in cursor.fetchall())
        counts = {}
        for table in present:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    db.close()
    return counts


@pytest.mark.reliability("backup", "pg_dump, restore into a fresh database, reconcile")
def test_backup_then_restore_into_a_fresh_database_reconciles(tmp_path, record_property):
    require(connection.vendor == "postgresql", "backup and restore need PostgreSQL")
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    call_command("seed_demo", verbosity=0)
    source = database_url(connection.settings_dict)
    target = database_url(connection.settings_dict, f"prm_restore_{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prm.settings.test"}
    archive = tmp_path / "prm.dump"

    backup = subprocess.run(
        ["bin/backup", str(archive)],
        cwd=ROOT,
        env={**env, "DATABASE_URL": source},
        capture_output=True,
        text=True,
        check=False,
    )
    assert backup.returncode == 0, backup.stderr
    try:
        restore = subprocess.run(
            ["bin/restore", str(archive)],
            cwd=ROOT,
            env={**env, "DATABASE_URL": target},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        restored = _counts(target) if restore.returncode == 0 else {}
    finally:
        admin = psycopg2.connect(database_url(connection.settings_dict, "postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target.rsplit("/", 1)[1]}"')
        admin.close()
    original = _counts(source)
    figure = f"{archive.stat().st_size:,} bytes dumped; restored " + ", ".join(
        f"{table} {n}" for table, n in sorted(restored.items())
    )
    record_property("figure", figure)
    assert restore.returncode == 0, f"{restore.stdout}\n{restore.stderr}"
    assert "reconciliation passed" in restore.stdout, restore.stdout
    assert restored == original, figure
    assert restored["commissions_statement"] > 0, figure
    assert restored["commissions_sale"] > 0, figure
