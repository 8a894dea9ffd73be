"""Two beat schedulers at once for a day (spec, "Faults"): every task of the beat schedule is run
twice at each tick it is due, by two threads at the same moment, over a whole day of a frozen
clock, on the demo data with a recompute request and an upload left waiting. Every reminder goes
out once, every request and import is done once, and the reconciliation passes."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import threading
from collections import Counter
from unittest import mock

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from agreements.models import Agreement, Product
from commissions.models import ImportBatch, RecomputeRequest
from commissions.reconcile import reconcile
from commissions.services import imports as import_services
from commissions.services import recompute as recompute_services
from partners.models import Partner
from prm.celery import app

from ..commissions.builders import COLUMNS
from .services import require

pytestmark = pytest.mark.django_db(transaction=True)


def _due(schedule, minute_of_day: int) -> bool:
    if isinstance(schedule, crontab):
        return minute_of_day // 60 in schedule.hour and minute_of_day % 60 in schedule.minute
    return (minute_of_day * 60) % int(schedule) == 0


def _ticks() -> list[tuple[int, list[str]]]:
    """(minute of the day, tasks due then) for every minute something is due."""
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        importlib.import_module(entry["task"].rsplit(".", 1)[0])
    ticks = []
    for minute in range(24 * 60):
        due = [
            entry["task"]
            for entry in settings.CELERY_BEAT_SCHEDULE.values()
            if _due(entry["schedule"], minute)
        ]
        if due:
            ticks.append((minute, due))
    return ticks


def _waiting_upload(day: dt.date) -> ImportBatch:
    partner = Partner.objects.order_by("code").first()
    product = Product.objects.filter(currency=partner.currency).order_by("sku").first()
    rows = [
        f"BEAT-{i},{partner.code},{product.sku},Customer {i},,,,{day - dt.timedelta(days=3)},"
        f"sale,1,{100 + i}.00,{partner.currency},"
        for i in range(20)
    ]
    content = ("\n".join([COLUMNS, *rows]) + "\n").encode()
    name = default_storage.save("imports/beat-drill.csv", ContentFile(content))
    return ImportBatch.objects.create(
        filename="beat-drill.csv", stored_file=name, sha256=hashlib.sha256(content).hexdigest()
    )


@pytest.mark.reliability("fault", "two beat schedulers at once for a day of frozen-clock sweeps")
def test_two_beats_for_a_day(record_property):
    require(connection.vendor == "postgresql", "two beats at once need PostgreSQL row locks")
    call_command("seed_demo", verbosity=0)
    # The day a demo agreement is 7 days from its end: its reminder is due.
    ending = Agreement.objects.filter(status__in=["active", "expiring"]).order_by("end").first()
    day = ending.end - dt.timedelta(days=7)
    batch = _waiting_upload(day)
    request = RecomputeRequest.objects.create(period=f"{day:%Y-%m}", reason="left waiting")
    mail.outbox.clear()

    start = timezone.make_aware(dt.datetime.combine(day, dt.time(0)))
    clock = [start]
    ticks = _ticks()
    due: list[str] = []
    errors: list[BaseException] = []
    runs: Counter = Counter()
    begin, end = threading.Barrier(3, timeout=60), threading.Barrier(3, timeout=60)
    real_recompute, real_import = recompute_services.recompute, import_services.sales_import

    def counted_recompute(**kwargs):
        runs["recompute"] += 1
        return real_recompute(**kwargs)

    def counted_import(**kwargs):
        runs[f"import {kwargs['batch'].pk}"] += 1
        return real_import(**kwargs)

    def beat():
        try:
            for _ in ticks:
                begin.wait()
                for name in due:
                    try:
                        app.tasks[name].apply(throw=True)
                    except Exception as exc:
                        errors.append(exc)
                end.wait()
        finally:
            connection.close()

    with (
        mock.patch("django.utils.timezone.now", side_effect=lambda: clock[0]),
        mock.patch.object(recompute_services, "recompute", side_effect=counted_recompute),
        mock.patch.object(import_services, "sales_import", side_effect=counted_import),
    ):
        beats = [threading.Thread(target=beat, daemon=True) for _ in range(2)]
        for thread in beats:
            thread.start()
        for minute, names in ticks:
            clock[0] = start + dt.timedelta(minutes=minute)
            due[:] = names
            begin.wait()
            end.wait()
        for thread in beats:
            thread.join(timeout=60)

    sent = Counter((tuple(m.to), m.subject) for m in mail.outbox)
    twice = {key: n for key, n in sent.items() if n > 1}
    batch.refresh_from_db()
    request.refresh_from_db()
    runs_of_tasks = 2 * sum(len(names) for _, names in ticks)
    figure = (
        f"{len(ticks)} ticks, {runs_of_tasks} task runs by two beats; {len(mail.outbox)} emails "
        f"sent, none twice; {runs['recompute']} recomputes for "
        f"{RecomputeRequest.objects.count()} requests; upload imported "
        f"{runs[f'import {batch.pk}']} time; {ending.number} ends {ending.end}"
    )
    record_property("figure", figure)
    assert not errors, f"{figure}: {errors[:3]}"
    assert not twice, f"{figure}: sent twice: {twice}"
    assert any(ending.number in subject for _, subject in sent), f"{figure}: no reminder sent"
    assert (batch.status, batch.created_count) == ("done", 20), figure
    assert runs[f"import {batch.pk}"] == 1, figure
    assert request.status == "done", figure
    # One recompute per request the day's sweeps ran: none ran twice.
    done_today = RecomputeRequest.objects.filter(started_at__gte=start).count()
    assert runs["recompute"] == done_today, figure
    report = reconcile()
    assert report.ok, "\n".join([figure, *report.lines()])
