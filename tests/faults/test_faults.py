"""Faults on the real services (spec, "Non-functional, second release", Faults): a worker killed
mid-import and mid-recompute, Redis stopped during an upload and an approval, PostgreSQL
restarted while a recompute runs. Each drill runs real Celery workers on a private Redis and ends
with the reconciliation: every draft statement equals a clean recompute, every recompute request
and import is done exactly once, every reminder went out once."""

from __future__ import annotations

import copy
import datetime as dt
import subprocess
import sys
import time
from decimal import Decimal

import psycopg2
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from agreements.models import Agreement, AgreementVersion, Product
from commissions.models import ImportBatch, RecomputeRequest, Sale, Statement
from commissions.reconcile import reconcile
from commissions.services.imports import sales_import_enqueue
from commissions.services.recompute import recompute_request_create
from commissions.services.statements import statement_approve
from partners.models import Membership, Partner
from prm.celery import app
from prm.core.models import Event
from tests.factories import MembershipFactory, UserFactory, VendorAdminFactory

from ..commissions.builders import COLUMNS, load, plan, program
from .conftest import point_app_at
from .services import ROOT, PrivatePostgres, require, sent_mail, wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
IMPORTS_SWEEP = "commissions.tasks.sales_imports_sweep_task"
RECOMPUTE_SWEEP = "commissions.tasks.recompute_requests_sweep_task"


def _program() -> None:
    """P-ACME on 5% of networking, P-BETA without an agreement, P-YEN in yen (eagerly)."""
    load(program(commission_plans=[plan(NET_5)]))


def _sales_csv(rows: int) -> bytes:
    lines = [COLUMNS]
    for i in range(rows):
        code = "P-ACME" if i % 2 else "P-BETA"
        day = 1 + i % 28
        lines.append(
            f"F-{i:06d},{code},SW-24,Customer {i % 97},,,,2026-10-{day:02d},sale,1,"
            f"{1000 + i % 500}.00,TWD,"
        )
    return ("\n".join(lines) + "\n").encode()


def _more_partners(count: int) -> list[Partner]:
    """`count` copies of P-ACME, each with its own copy of AG-ACME (5% of networking)."""
    acme = Partner.objects.get(code="P-ACME")
    agreement = Agreement.objects.get(number="AG-ACME")
    versions = list(AgreementVersion.objects.filter(agreement=agreement))
    partners = []
    for i in range(count):
        partner = copy.copy(acme)
        partner.pk = partner.id = None
        partner.code, partner.name = f"P-{i:05d}", f"Partner {i}"
        partners.append(partner)
    partners = Partner.objects.bulk_create(partners)
    agreements = []
    for partner in partners:
        clone = copy.copy(agreement)
        clone.pk = clone.id = None
        clone.number, clone.partner_id = f"AG-{partner.code}", partner.pk
        agreements.append(clone)
    agreements = Agreement.objects.bulk_create(agreements)
    clones = []
    for clone in agreements:
        for version in versions:
            copied = copy.copy(version)
            copied.pk = copied.id = None
            copied.agreement_id = clone.pk
            clones.append(copied)
    AgreementVersion.objects.bulk_create(clones)
    product = Product.objects.get(sku="SW-24")
    Sale.objects.bulk_create(
        [
            Sale(
                external_id=f"M-{partner.pk}-{day}",
                partner=partner,
                product=product,
                customer_name="Customer Ltd",
                invoice_date=dt.date(2026, 10, day),
                kind=Sale.Kind.SALE,
                quantity=Decimal("1"),
                net_amount=Decimal(f"{1000 * day}.00"),
                currency=partner.currency,
            )
            for partner in partners
            for day in (3, 9, 17)
        ],
        batch_size=5000,
    )
    return partners


def _beat_until(condition, *tasks: str, what: str, timeout: float = 90, every: float = 1.0):
    """Send the sweep tasks every `every` seconds, as beat does, until `condition()` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        for task in tasks:
            app.send_task(task)
        time.sleep(every)


def _open_work() -> bool:
    return RecomputeRequest.objects.exclude(status=RecomputeRequest.Status.DONE).exists()


def _reconciled(figure: str) -> None:
    report = reconcile()
    assert report.ok, "\n".join([figure, *report.lines()])


def _request_status(pk: int):
    return RecomputeRequest.objects.filter(pk=pk).values_list(
        "status", "done_partners", "total_partners"
    )[0]


@pytest.mark.reliability("fault", "worker killed (SIGKILL) mid-import, then restarted")
def test_a_worker_killed_mid_import(postgres, broker, start_worker, record_property):
    _program()
    rows = 60_000
    first = start_worker("first", broker.url, postgres)

    # when: the worker is killed once it has worked through part of the file
    batch = sales_import_enqueue(
        upload=SimpleUploadedFile("october.csv", _sales_csv(rows)),
        actor=None,
        storage=default_storage,
    )

    def in_progress():
        batch.refresh_from_db()
        return batch.status == ImportBatch.Status.DONE or (
            batch.status == ImportBatch.Status.RUNNING and batch.processed_rows > 0
        )

    wait_for(in_progress, timeout=60, every=0.01, what="the import to start")
    first.kill()
    batch.refresh_from_db()
    killed_at = batch.processed_rows
    assert batch.status == ImportBatch.Status.RUNNING, "the import finished before the kill"
    assert not Sale.objects.filter(batch=batch).exists(), "a killed import left rows behind"

    # then: a new worker and the sweep finish it, once
    second = start_worker("second", broker.url, postgres)
    _beat_until(
        lambda: (
            ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.DONE
            and not _open_work()
        ),
        IMPORTS_SWEEP,
        RECOMPUTE_SWEEP,
        what="the import and its recomputes",
    )
    batch.refresh_from_db()
    kept = Sale.objects.filter(batch=batch).count()
    figure = (
        f"killed at {killed_at:,} of {rows:,} rows; {kept:,} rows kept once, "
        f"{RecomputeRequest.objects.count()} recompute requests done"
    )
    record_property("figure", figure)
    assert (batch.created_count, kept, batch.duplicate_count, batch.rejected_count) == (
        rows,
        rows,
        0,
        0,
    ), figure
    assert Sale.objects.filter(external_id__startswith="F-").count() == rows, figure
    assert "succeeded" in second.output()
    _reconciled(figure)


@pytest.mark.reliability("fault", "worker killed (SIGKILL) mid-recompute, then restarted")
def test_a_worker_killed_mid_recompute(postgres, broker, start_worker, record_property):
    _program()
    partners = len(_more_partners(2000))
    first = start_worker("first", broker.url, postgres)

    with transaction.atomic():
        request = recompute_request_create(period="2026-10", reason="fault drill")

    def part_done():
        status, done, total = _request_status(request.pk)
        return status == RecomputeRequest.Status.DONE or 0 < done < total

    wait_for(part_done, timeout=60, every=0.01, what="the recompute to be part done")
    first.kill()
    status, done, total = _request_status(request.pk)
    written = Statement.objects.filter(period="2026-10").count()
    assert status == RecomputeRequest.Status.RUNNING, "the recompute finished before the kill"
    assert written < total, "every statement was written before the kill"

    start_worker("second", broker.url, postgres)
    _beat_until(lambda: not _open_work(), RECOMPUTE_SWEEP, what="the recompute request")
    status, done, total = _request_status(request.pk)
    statements = Statement.objects.filter(period="2026-10").count()
    figure = (
        f"killed after {written:,} of {total:,} statements; request done once over "
        f"{done:,} partners; {statements:,} statements"
    )
    record_property("figure", figure)
    assert (status, done, total) == ("done", total, total), figure
    assert statements == partners, figure
    _reconciled(figure)


@pytest.mark.reliability("fault", "Redis stopped during an upload, then started")
def test_redis_stopped_during_an_upload(postgres, broker, start_worker, record_property):
    _program()
    start_worker("worker", broker.url, postgres)
    admin = VendorAdminFactory()
    client = Client()
    client.force_login(admin)

    broker.stop()
    response = client.post(
        reverse("sales_import_list"),
        {"file": SimpleUploadedFile("october.csv", _sales_csv(500))},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302, "the upload page failed with Redis down"
    assert batch.status == ImportBatch.Status.PENDING
    page = client.get(reverse("sales_import_detail", kwargs={"pk": batch.pk}))
    assert page.status_code == 200, "the import page failed with Redis down"

    broker.start()
    point_app_at(broker.url)
    _beat_until(
        lambda: (
            ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.DONE
            and not _open_work()
        ),
        IMPORTS_SWEEP,
        RECOMPUTE_SWEEP,
        what="the upload to be imported once Redis is back",
    )
    batch.refresh_from_db()
    kept = Sale.objects.filter(batch=batch).count()
    figure = f"upload answered {response.status_code} with Redis down; {kept} of 500 rows kept"
    record_property("figure", figure)
    assert (batch.created_count, kept) == (500, 500), figure
    _reconciled(figure)


@pytest.mark.reliability("fault", "Redis stopped during an approval, then started")
def test_redis_stopped_during_an_approval(
    postgres, broker, start_worker, folder, settings, record_property
):
    settings.PRM_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder / "mail")
    point_app_at(None)
    _program()
    acme = Partner.objects.get(code="P-ACME")
    finance = UserFactory(email="finance@acme.test")
    MembershipFactory(user=finance, partner=acme, role=Membership.Role.FINANCE)
    admin = VendorAdminFactory()
    Sale.objects.create(
        external_id="A-1",
        partner=acme,
        product=Product.objects.get(sku="SW-24"),
        customer_name="Customer Ltd",
        invoice_date=dt.date(2026, 10, 5),
        kind=Sale.Kind.SALE,
        quantity=Decimal("1"),
        net_amount=Decimal("30000.00"),
        currency="TWD",
    )
    with transaction.atomic():
        recompute_request_create(period="2026-10", reason="sales imported")
    point_app_at(broker.url)
    start_worker("worker", broker.url, postgres)
    statement = Statement.objects.get(partner=acme, period="2026-10")

    broker.stop()
    with transaction.atomic():
        approved = statement_approve(statement=statement, actor=admin)
        # Work the approval causes that goes through the broker: a recompute of the month.
        recompute_request_create(period="2026-10", reason="statement approved")
    assert approved.status == Statement.Status.APPROVED

    broker.start()
    point_app_at(broker.url)
    _beat_until(lambda: not _open_work(), RECOMPUTE_SWEEP, what="work queued during the outage")
    time.sleep(2)  # anything sent twice would arrive now
    mail = [m for m in sent_mail(folder) if "finance@acme.test" in m]
    events = Event.objects.filter(verb="statement.approved", target_id=str(statement.pk)).count()
    figure = f"approved with Redis down; {len(mail)} email to finance, {events} approval event"
    record_property("figure", figure)
    assert (len(mail), events) == (1, 1), f"{figure}: {mail}"
    statement.refresh_from_db()
    assert statement.status == Statement.Status.APPROVED
    assert statement.total == Decimal("1500.00")
    _reconciled(figure)


@pytest.mark.reliability("fault", "PostgreSQL restarted while a recompute runs")
def test_postgres_restarted_while_a_recompute_runs(
    postgres, broker, start_worker, folder, record_property
):
    require(PrivatePostgres.available(), "initdb is not installed, or no postgres user")
    point_app_at(None)
    _program()
    partners = len(_more_partners(2000))
    request = RecomputeRequest.objects.create(period="2026-10", reason="fault drill")
    RecomputeRequest.objects.exclude(pk=request.pk).update(status="done")
    connection.close()

    # given: a copy of this database on a private cluster, which the test may restart
    cluster = PrivatePostgres()
    try:
        cluster.init()
        dump = folder / "copy.dump"
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), postgres], check=True)
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "prm"],
            check=True,
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", cluster.url("prm"), str(dump)],
            check=True,
        )
        private = cluster.url("prm")
        worker = start_worker("worker", broker.url, private)

        def status():
            try:
                with psycopg2.connect(private, connect_timeout=2) as db, db.cursor() as cursor:
                    cursor.execute(
                        "SELECT status, done_partners, total_partners FROM "
                        "commissions_recomputerequest WHERE id = %s",
                        [request.pk],
                    )
                    return cursor.fetchone()
            except psycopg2.OperationalError:
                return None

        # when: the cluster restarts while the recompute is part done
        point_app_at(broker.url)
        app.send_task("commissions.tasks.recompute_request_run_task", args=[request.pk])
        wait_for(
            lambda: (row := status()) and (row[0] == "done" or 0 < row[1] < row[2]),
            timeout=60,
            every=0.01,
            what="the recompute to be part done",
        )
        cluster.restart()
        at_restart = status()

        # then: the task retries, and the request ends done once
        wait_for(lambda: (row := status()) and row[0] == "done", timeout=90, what="the retry")
        done = status()
        result = subprocess.run(
            [sys.executable, "manage.py", "reconcile"],
            cwd=ROOT,
            env={**worker.env, "DATABASE_URL": private},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        cluster.remove()
    figure = (
        f"restarted at {at_restart[1]:,} of {at_restart[2]:,} partners; request {done[0]} over "
        f"{done[1]:,} partners; {partners:,} statements expected"
    )
    record_property("figure", figure)
    assert "Retry in" in worker.output(), f"{figure}: the task never met the restart"
    assert done == ("done", partners, partners), figure
    assert result.returncode == 0, f"{figure}\n{result.stdout}{result.stderr}"
    assert f"{partners} drafts" in result.stdout, result.stdout
