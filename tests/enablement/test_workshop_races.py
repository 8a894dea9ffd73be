"""Seats under concurrency: two people taking the last seat at once get one seat and one place on
the waiting list; a cancellation racing a registration leaves every seat filled once; two
reminder runs at once remind each person once. PostgreSQL, 20 times each."""

import datetime as dt
import itertools

import pytest
from django.core import mail
from django.utils import timezone

from enablement.models import Workshop, WorkshopRegistration
from enablement.workshops import workshop_cancel, workshop_register, workshop_reminders_send
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

pytestmark = POSTGRESQL
RACES = range(20)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def partner(committed):  # noqa: F811
    return PartnerFactory(code="P-SEAT")


def _setup(partner, *, people, capacity, starts_at=None):
    n = next(_numbers)
    starts_at = starts_at or timezone.now() + dt.timedelta(days=30)
    workshop = Workshop.objects.create(
        title=f"Lab {n}",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        place="Taipei",
        capacity=capacity,
    )
    users = []
    for i in range(people):
        user = UserFactory(email=f"seat{n}-{i}@race.test")
        MembershipFactory(user=user, partner=partner, role="sales")
        users.append(user)
    return workshop, users


def _status_counts(workshop):
    rows = workshop.registrations.values_list("status", flat=True)
    return {status: list(rows).count(status) for status in ("confirmed", "waiting", "cancelled")}


@pytest.mark.reliability("concurrency", "two registrations for the last workshop seat")
@pytest.mark.parametrize("attempt", RACES)
def test_two_registrations_for_the_last_seat_get_one_seat(partner, attempt):
    workshop, (first, a, b) = _setup(partner, people=3, capacity=2)
    workshop_register(user=first, partner=partner, workshop=workshop)

    outcome = run_parallel(
        lambda: workshop_register(user=a, partner=partner, workshop=workshop).status,
        lambda: workshop_register(user=b, partner=partner, workshop=workshop).status,
    )

    assert outcome.errors == []
    assert sorted(outcome.results) == ["confirmed", "waiting"]
    assert _status_counts(workshop) == {"confirmed": 2, "waiting": 1, "cancelled": 0}


@pytest.mark.reliability("concurrency", "a workshop cancellation racing a registration")
@pytest.mark.parametrize("attempt", RACES)
def test_a_cancellation_racing_a_registration_fills_the_seat_once(partner, attempt):
    workshop, (holder, waiting, late) = _setup(partner, people=3, capacity=1)
    workshop_register(user=holder, partner=partner, workshop=workshop)
    workshop_register(user=waiting, partner=partner, workshop=workshop)

    outcome = run_parallel(
        lambda: workshop_cancel(user=holder, workshop=workshop),
        lambda: workshop_register(user=late, partner=partner, workshop=workshop),
    )

    assert outcome.errors == []
    confirmed = list(
        WorkshopRegistration.objects.filter(workshop=workshop, status="confirmed").values_list(
            "user_id", flat=True
        )
    )
    # the person waiting first takes the freed seat, whichever came first
    assert confirmed == [waiting.pk]
    assert _status_counts(workshop) == {"confirmed": 1, "waiting": 1, "cancelled": 1}


@pytest.mark.reliability("concurrency", "two workshop reminder runs at once")
@pytest.mark.parametrize("attempt", RACES)
def test_two_reminder_runs_at_once_remind_each_person_once(partner, attempt):
    n = next(_numbers)
    now = timezone.now() + dt.timedelta(days=400 + 5 * n)
    tomorrow = timezone.localtime(now).replace(hour=10, minute=0) + dt.timedelta(days=1)
    workshop, users = _setup(partner, people=3, capacity=3, starts_at=tomorrow)
    for user in users:
        workshop_register(user=user, partner=partner, workshop=workshop)
    mail.outbox.clear()

    outcome = run_parallel(
        lambda: workshop_reminders_send(now=now),
        lambda: workshop_reminders_send(now=now),
    )

    assert outcome.errors == []
    assert sorted(outcome.results) == [0, 3]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)
