"""SLA arithmetic with a frozen clock: `now` is passed to every service explicitly."""

import datetime as dt

import pytest
from django.core import mail

from disputes.models import Case, SlaPolicy
from disputes.services import (
    case_breaches_escalate,
    case_message_add,
    case_open,
    case_sla_state,
    case_status_change,
)
from tests.factories import ChannelManagerFactory

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def _open(world, priority="normal", now=T0):
    return case_open(
        actor=world.users["partner_admin"],
        partner=world.partner,
        kind="payout",
        priority=priority,
        subject="Payout",
        description="Wrong",
        now=now,
    )


@pytest.mark.parametrize(
    ("priority", "first_hours", "resolution_days"),
    [("urgent", 4, 3), ("high", 8, 7), ("normal", 24, 14), ("low", 72, 30)],
)
def test_deadlines_follow_the_priority(world, priority, first_hours, resolution_days):
    case = _open(world, priority)

    assert case.first_response_due == T0 + first_hours * H
    assert case.resolution_due == T0 + dt.timedelta(days=resolution_days)
    assert case.owner == world.users["cm_assigned"]


def test_admins_configure_the_deadlines(world):
    SlaPolicy.objects.create(priority="urgent", first_response_hours=1, resolution_hours=10)

    case = _open(world, "urgent")

    assert (case.first_response_due, case.resolution_due) == (T0 + H, T0 + 10 * H)


def test_waiting_on_the_partner_pauses_the_clock_and_resuming_moves_the_deadlines(world):
    # given a normal case waiting on the partner from hour 2 to hour 7
    case = _open(world)
    cm = world.users["cm_assigned"]
    case_status_change(case=case, actor=cm, status="waiting", reason="Need invoice", now=T0 + 2 * H)
    case.refresh_from_db()
    # then the countdown stands still while paused
    assert case_sla_state(case, T0 + 2 * H) == case_sla_state(case, T0 + 50 * H)
    assert case_sla_state(case, T0 + 50 * H)["first_response_left"] == 22 * H
    # when the partner answers at hour 7
    case_message_add(case=case, actor=world.users["partner_admin"], body="Here", now=T0 + 7 * H)
    case.refresh_from_db()
    # then the five paused hours are added to both deadlines
    assert case.status == Case.Status.IN_PROGRESS
    assert case.paused_at is None
    assert case.first_response_due == T0 + 29 * H
    assert case.resolution_due == T0 + dt.timedelta(days=14) + 5 * H
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "open",
        "waiting",
        "in_progress",
    ]


def test_a_vendor_reply_is_the_first_response_but_an_internal_note_is_not(world):
    case = _open(world)
    cm = world.users["cm_assigned"]

    case_message_add(case=case, actor=cm, body="Checking", internal=True, now=T0 + H)
    case.refresh_from_db()
    assert case.first_responded_at is None

    case_message_add(case=case, actor=cm, body="Hello", now=T0 + 2 * H)
    case.refresh_from_db()
    assert case.first_responded_at == T0 + 2 * H


def test_a_breach_escalates_exactly_at_the_deadline_and_only_once(
    world, django_capture_on_commit_callbacks
):
    # given an urgent case whose owner has a manager
    boss = ChannelManagerFactory(email="boss@vendor.test")
    cm = world.users["cm_assigned"]
    cm.manager = boss
    cm.save(update_fields=["manager"])
    case = _open(world, "urgent")
    mail.outbox.clear()

    # a second before the first-response deadline: nothing
    assert case_breaches_escalate(now=T0 + 4 * H - dt.timedelta(seconds=1)) == []

    # at the deadline: escalated, the manager, the vendor admins and the partner told
    with django_capture_on_commit_callbacks(execute=True):
        assert case_breaches_escalate(now=T0 + 4 * H) == [case.pk]
    recipients = {address for message in mail.outbox for address in message.to}
    assert {"boss@vendor.test", "admin@vendor.test", "cm@vendor.test", "admin@a.test"} <= recipients
    sent = len(mail.outbox)

    # running the task again sends nothing more
    with django_capture_on_commit_callbacks(execute=True):
        assert case_breaches_escalate(now=T0 + 5 * H) == []
    assert len(mail.outbox) == sent
    case.refresh_from_db()
    assert case.escalated_at == T0 + 4 * H


def test_a_paused_case_does_not_breach(world):
    case = _open(world, "urgent")
    case_status_change(case=case, actor=world.users["cm_assigned"], status="waiting", now=T0 + H)

    assert case_breaches_escalate(now=T0 + 100 * H) == []


def test_the_resolution_deadline_breaches_after_a_first_response(world):
    case = _open(world, "urgent")
    case_message_add(case=case, actor=world.users["cm_assigned"], body="On it", now=T0 + H)

    assert case_breaches_escalate(now=T0 + 71 * H) == []
    assert case_breaches_escalate(now=T0 + 72 * H) == [case.pk]


def test_the_beat_task_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "disputes.tasks.case_breaches_escalate_task" in tasks


def test_the_beat_task_escalates_through_the_service(world):
    from disputes.tasks import case_breaches_escalate_task

    case = _open(world, "urgent", now=T0)

    assert case_breaches_escalate_task.delay().get() == 1
    assert case_breaches_escalate_task.delay().get() == 0
    case.refresh_from_db()
    assert case.escalated_at is not None
