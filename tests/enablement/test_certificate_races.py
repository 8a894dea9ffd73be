"""Two reminder runs at once (two beats, or a beat and a manual run) send each expiry reminder
once. PostgreSQL, 20 times, each repetition on certificates of its own."""

import datetime as dt
import itertools

import pytest
from django.core import mail

from enablement.certificate_services import certificate_reminders_send
from enablement.models import Certificate, CertificateReminder, Certification
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, PartnerFactory, UserFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

pytestmark = POSTGRESQL
RACES = range(20)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def partner(committed):  # noqa: F811
    partner = PartnerFactory(code="P-RACE")
    MembershipFactory(user=UserFactory(email="admin@race.test"), partner=partner, role="admin")
    return partner


@pytest.mark.reliability("concurrency", "two certificate reminder runs at once")
@pytest.mark.parametrize("attempt", RACES)
def test_two_runs_at_once_send_each_reminder_once(partner, attempt):
    # given three certificates of partner members whose 60-day reminder is due on a day of
    # their own (so that earlier repetitions' certificates are not due)
    n = next(_numbers)
    expires = dt.date(2030, 1, 1) + dt.timedelta(days=100 * n)
    day = expires - dt.timedelta(days=60)
    certification = Certification.objects.create(
        code=f"RACE-{n}", name=f"Race {n}", validity_months=12
    )
    holders = []
    for i in range(3):
        user = UserFactory(email=f"holder{n}-{i}@race.test")
        MembershipFactory(user=user, partner=partner, role="sales")
        Certificate.objects.create(
            user=user,
            certification=certification,
            earned=day - dt.timedelta(days=300),
            expires=expires,
        )
        holders.append(user)
    before = Notification.objects.count()
    mail.outbox.clear()

    # when two runs start at the same moment
    outcome = run_parallel(
        lambda: certificate_reminders_send(today=day),
        lambda: certificate_reminders_send(today=day),
    )

    # then the three reminders went once: one run sent them, the other nothing
    assert outcome.errors == []
    assert sorted(r["60d"] for r in outcome.results) == [0, 3]
    reminders = CertificateReminder.objects.filter(certificate__certification=certification)
    assert reminders.count() == 3
    assert len({r.claim for r in reminders}) == 1
    # each holder once, the partner admin once per certificate
    assert Notification.objects.count() - before == 6
    assert sorted(m.to[0] for m in mail.outbox if m.to[0] != "admin@race.test") == sorted(
        u.email for u in holders
    )
