"""The engagement tasks on a real Celery worker on Redis, and their place in the beat schedule.

The worker is the project's own (`tests.clock_worker`: a Celery worker whose clock starts on the
day the test chooses), serving every queue as the compose worker does, on committed rows of the
test database. Beat's three tasks are sent through the broker as beat sends them, and the test
reads back what the worker did: the email it wrote with the file backend, the notifications,
misses and snapshots it stored, and each task's result from its log."""

from __future__ import annotations

import ast
import datetime as dt
import email
import email.policy
import importlib
import os
import re
import uuid
from pathlib import Path

import pytest
from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection

from engagement.health import health_measure
from engagement.models import CommitmentMiss, HealthSnapshot, PulseMessage
from engagement.pulse import pulse_questions
from engagement.pulse_services import pulse_submit
from partners.models import Partner
from prm.celery import app
from prm.core.mail import message_to_dict
from prm.notifications.models import Notification
from tests.catalogue import catalogue_compile
from tests.factories import VendorAdminFactory
from tests.faults.services import Worker, database_url, require, wait_for

from .helpers import at, review

REDIS_URL = os.environ.get("PRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]

PULSE = "engagement.tasks.pulse_messages_send_task"
COMMITMENTS = "engagement.tasks.commitments_measure_task"
HEALTH = "engagement.tasks.health_snapshots_task"
TASKS = (PULSE, COMMITMENTS, HEALTH)

# The quarter opens: the invitations are due, the reminder (from 22 April) not yet.
OPENING = at(dt.date(2026, 4, 1), 9)
# Seven weeks in: the reminder is due, the last call (from 16 June) not yet.
LATER = at(dt.date(2026, 5, 20), 9)

INVITATION_ZH = "2026-Q2 合作夥伴脈動調查：我們做得如何？"
INVITATION_EN = "Partner pulse 2026-Q2: how are we doing?"
REMINDER_ZH = "提醒：2026-Q2 合作夥伴脈動調查正等待您的回覆"
MISSED_EN = "Commitment missed for P-A: Business review held on time (2026-03-25)"
MISSED_ZH = "P-A 的承諾未履行：如期舉行業務檢討會議（2026-03-25）"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        require(False, f"Redis is not reachable at {REDIS_URL}")


class Run:
    """One worker's day: a worker whose clock starts at `now`, a producer sending as beat does
    (the project's routes and queues), both under the run's own Redis key prefix."""

    def __init__(self, *, folder: Path, prefix: str, now: dt.datetime, name: str) -> None:
        self.folder = folder
        self.worker = Worker(
            name=name,
            broker_url=REDIS_URL,
            database_url=database_url(connection.settings_dict),
            folder=folder,
            module="tests.clock_worker",
            env={"PRM_TEST_NOW": now.isoformat(), "PRM_TEST_BROKER_PREFIX": prefix},
        )
        self.producer = Celery("producer", broker=REDIS_URL, set_as_current=False)
        self.producer.conf.update(
            broker_transport_options={"global_keyprefix": prefix},
            task_routes=settings.CELERY_TASK_ROUTES,
            task_queues=settings.CELERY_TASK_QUEUES,
            task_default_queue=settings.CELERY_TASK_DEFAULT_QUEUE,
            task_serializer="json",
        )
        self.sentinels = 0

    def beat(self) -> dict[str, dict]:
        """Send the three tasks; once the worker has run them, send a sentinel email behind the
        ones they queued and wait for it (the email queue is first in, first out). Returns each
        task's result as the worker logged it."""
        ids = {task: self.producer.send_task(task).id for task in TASKS}
        results = {task: self._result(task_id) for task, task_id in ids.items()}
        self.sentinels += 1
        subject = f"Sentinel {self.sentinels}"
        sentinel = EmailMessage(subject=subject, body=".", to=["sentinel@prm.test"])
        self.producer.send_task("prm.core.tasks.send_email_task", args=[message_to_dict(sentinel)])
        wait_for(
            lambda: any(m["subject"] == subject for m in sent_mail(self.folder)),
            timeout=30,
            every=0.1,
            what=f"the sentinel email; worker log:\n{self.worker.output()}",
        )
        return results

    def _result(self, task_id: str) -> dict:
        pattern = re.compile(rf"\[{task_id}\] (succeeded in [\d.]+s: (.*)|.*(?:raised|retry).*)$")

        def logged():
            lines = self.worker.output().splitlines()
            return next((m for m in map(pattern.search, lines) if m), None)

        found = wait_for(
            logged, timeout=30, every=0.1, what=f"task {task_id}; log:\n{self.worker.output()}"
        )
        assert found.group(2) is not None, f"the task failed:\n{self.worker.output()}"
        return ast.literal_eval(found.group(2))


def sent_mail(folder: Path) -> list[dict[str, str]]:
    """Every message the worker's file backend wrote: subject, recipient and body, decoded."""
    messages = []
    for path in sorted((folder / "mail").glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            messages.append(
                {
                    "subject": str(message["Subject"]).strip(),
                    "to": str(message["To"]),
                    "body": message.get_content(),
                }
            )
    return messages


def _answers() -> dict[str, object]:
    values = {"recommend": 9, "rating": 4, "text": "Clear statements."}
    return {q.code: values[q.kind] for q in pulse_questions()}


@pytest.fixture
def seeded(transactional_db, world):
    """Committed rows the worker sees: partner A's admin reads zh-Hant, partner B's English; a
    second vendor admin reads zh-Hant; A's business review of 25 March was never held."""
    require(connection.vendor == "postgresql", "a worker needs the test's PostgreSQL database")
    world.users["partner_admin"].language = "zh-hant"
    world.users["partner_admin"].save(update_fields=["language"])
    world.users["other_partner"].language = "en"
    world.users["other_partner"].save(update_fields=["language"])
    VendorAdminFactory(email="admin-zh@vendor.test", language="zh-hant")
    review(world.partner, scheduled=dt.date(2026, 3, 25))
    return world


def _snapshots(now: dt.datetime) -> list[tuple[str, str, int, int]]:
    """The stored snapshots beside the scores measured in this process at the worker's time."""
    rows = list(HealthSnapshot.objects.select_related("partner").order_by("partner__code"))
    assert rows, "no snapshot stored"
    taken = rows[0].taken_at
    assert now <= taken < now + dt.timedelta(minutes=2)
    partners = Partner.objects.filter(pk__in=[r.partner_id for r in rows])
    expected = health_measure(partners, now=taken)
    return [(r.partner.code, r.quarter, r.score, expected[r.partner_id].score) for r in rows]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_engagement_tasks_run_on_a_real_worker_once_each(seeded, tmp_path):
    _redis_or_skip()
    catalogue_compile()
    (tmp_path / "mail").mkdir()
    prefix = f"prm-test-{uuid.uuid4().hex[:8]}:"
    world = seeded
    try:
        # Day 1 of the quarter, twice: invitations and the miss go out once.
        opening = Run(folder=tmp_path, prefix=prefix, now=OPENING, name="opening")
        opening.worker.start()
        try:
            first = opening.beat()
            first_mail = [m for m in sent_mail(tmp_path) if m["to"] != "sentinel@prm.test"]
            first_snapshots = _snapshots(OPENING)
            again = opening.beat()
        finally:
            opening.worker.stop()

        assert first == {
            PULSE: {"invitation": 2},
            COMMITMENTS: {"missed": 1},
            HEALTH: {"partners": 2},
        }
        assert sorted((m["to"], m["subject"]) for m in first_mail) == [
            ("admin-zh@vendor.test", MISSED_ZH),
            ("admin@a.test", INVITATION_ZH),
            ("admin@b.test", INVITATION_EN),
            ("admin@vendor.test", MISSED_EN),
        ]
        bodies = {m["to"]: m["body"] for m in first_mail}
        assert "低分會直接列入您與客戶經理的下一次業務檢討會議。" in bodies["admin@a.test"]
        assert "2026年6月30日" in bodies["admin@a.test"]
        assert "until June 30, 2026" in bodies["admin@b.test"]
        assert "/pulse/" in bodies["admin@b.test"]
        assert "/commitments/partners/P-A/" in bodies["admin@vendor.test"]
        assert [(s[0], s[1]) for s in first_snapshots] == [("P-A", "2026-Q2"), ("P-B", "2026-Q2")]
        assert all(stored == measured for _c, _q, stored, measured in first_snapshots)

        assert again == {
            PULSE: {"invitation": 0},
            COMMITMENTS: {"missed": 0},
            HEALTH: {"partners": 2},
        }
        assert [m for m in sent_mail(tmp_path) if m["to"] != "sentinel@prm.test"] == first_mail

        # Partner B answers; seven weeks in, a new worker: only A is reminded, nothing repeats.
        pulse_submit(
            actor=world.users["other_partner"],
            partner=world.other_partner,
            answers=_answers(),
            today=dt.date(2026, 4, 15),
        )
        later = Run(folder=tmp_path, prefix=prefix, now=LATER, name="later")
        later.worker.start()
        try:
            reminded = later.beat()
            later_snapshots = _snapshots(LATER)
            last = later.beat()
        finally:
            later.worker.stop()

        assert reminded == {
            PULSE: {"invitation": 0, "reminder": 1},
            COMMITMENTS: {"missed": 0},
            HEALTH: {"partners": 2},
        }
        assert last == {
            PULSE: {"invitation": 0, "reminder": 0},
            COMMITMENTS: {"missed": 0},
            HEALTH: {"partners": 2},
        }
        mail = [m for m in sent_mail(tmp_path) if m["to"] != "sentinel@prm.test"]
        assert mail[: len(first_mail)] == first_mail
        assert [(m["to"], m["subject"]) for m in mail[len(first_mail) :]] == [
            ("admin@a.test", REMINDER_ZH)
        ]
        assert [(s[0], s[1]) for s in later_snapshots] == [("P-A", "2026-Q2"), ("P-B", "2026-Q2")]
        assert all(stored == measured for _c, _q, stored, measured in later_snapshots)
        b_before, b_after = first_snapshots[1][2], later_snapshots[1][2]
        assert b_after != b_before  # B's answer counts in the rewritten snapshot

        assert sorted(PulseMessage.objects.values_list("partner__code", "quarter", "kind")) == [
            ("P-A", "2026-Q2", "invitation"),
            ("P-A", "2026-Q2", "reminder"),
            ("P-B", "2026-Q2", "invitation"),
        ]
        miss = CommitmentMiss.objects.get()
        assert (miss.partner.code, miss.kind, miss.due) == ("P-A", "review", dt.date(2026, 3, 25))
        told = Notification.objects.filter(url="/commitments/partners/P-A/")
        assert sorted(told.values_list("recipient__email", flat=True)) == [
            "admin-zh@vendor.test",
            "admin@vendor.test",
        ]
        pulse_told = Notification.objects.filter(url="/pulse/")
        assert sorted(pulse_told.values_list("recipient__email", flat=True)) == [
            "admin@a.test",
            "admin@a.test",
            "admin@b.test",
        ]
    finally:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


# The beat schedule


def _entry(task: str) -> dict:
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task]
    assert len(entries) == 1, f"{task} is scheduled {len(entries)} times"
    return entries[0]


def _time_of(task: str) -> dt.time:
    schedule = _entry(task)["schedule"]
    assert isinstance(schedule, crontab), f"{task} is not at a time of day"
    (hour,), (minute,) = schedule.hour, schedule.minute
    assert schedule.day_of_week == set(range(7)), f"{task} does not run every day"
    return dt.time(hour, minute)


def test_beat_runs_the_engagement_tasks_at_sensible_times():
    # Snapshots at night, after the open periods' recompute (attainment); the pulse in the
    # partners' morning (the project's time zone).
    recompute = _time_of("commissions.tasks.open_periods_recompute_task")
    health, pulse = _time_of(HEALTH), _time_of(PULSE)
    assert recompute < health < dt.time(6)
    assert dt.time(8) <= pulse <= dt.time(10)
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE


def test_beat_measures_the_commitments_every_hour():
    # A miss reaches the vendor admins within the hour its deadline passes.
    schedule = _entry(COMMITMENTS)["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == set(range(24))
    assert len(schedule.minute) == 1
    assert schedule.day_of_week == set(range(7))
    assert schedule.day_of_month == set(range(1, 32))
    assert schedule.month_of_year == set(range(1, 13))


def test_the_engagement_tasks_go_to_the_queue_every_worker_serves_and_retry_the_database():
    app.loader.import_default_modules()
    served = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    for task in TASKS:
        route = app.amqp.router.route({}, task)
        assert route["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE == "celery", task
        assert route["queue"].name in served
        assert app.tasks[task].acks_late, task
        assert DatabaseError in app.tasks[task].autoretry_for, task


def test_the_demo_runs_the_engagement_tasks_every_five_minutes():
    # Five minutes in the demo: at least as often as the hourly and daily runs everywhere else.
    base = {name: dict(entry) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    local = importlib.import_module("prm.settings.local")

    for name in ("pulse-messages", "commitments-measure", "health-snapshots"):
        assert local.CELERY_BEAT_SCHEDULE[name]["schedule"] == 300.0, name
        demo, every = local.CELERY_BEAT_SCHEDULE[name], settings.CELERY_BEAT_SCHEDULE[name]
        assert demo["task"] == every["task"], name
    # The demo's copy leaves the schedule of every other settings module as it was.
    assert base == settings.CELERY_BEAT_SCHEDULE
    assert isinstance(settings.CELERY_BEAT_SCHEDULE["pulse-messages"]["schedule"], crontab)
