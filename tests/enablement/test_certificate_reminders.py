"""Expiry reminders: 60 and 14 days before a certificate expires, to the holder and the admins
of the partners the holder belongs to, each once; a renewed certificate is not reminded of."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from enablement.certificate_services import certificate_reminders_send
from enablement.certificate_tasks import certificate_reminders_task
from enablement.models import Certificate, CertificateReminder, Certification
from enablement.services import certificate_earn
from prm.celery import app
from prm.core.models import Event
from prm.notifications.models import Category, Notification
from tests.factories import MembershipFactory, UserFactory

D = dt.date
EXPIRES = D(2027, 3, 31)


@pytest.fixture
def net(db):
    return Certification.objects.create(code="NET-PRO", name="Networking Pro", validity_months=12)


@pytest.fixture
def certificate(world, net):
    """The sales user of partner A holds NET-PRO until 2027-03-31."""
    return certificate_earn(
        user=world.users["partner_sales"], certification=net, earned=D(2026, 3, 31)
    )


def _run(today, capture):
    mail.outbox.clear()
    with capture(execute=True):
        return certificate_reminders_send(today=today)


def test_sixty_days_ahead_the_holder_and_the_partner_admins_are_told(
    world, certificate, django_capture_on_commit_callbacks
):
    assert certificate.expires == EXPIRES
    counts = _run(EXPIRES - dt.timedelta(days=60), django_capture_on_commit_callbacks)

    assert counts == {"60d": 1, "14d": 0}
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@a.test", "sales@a.test"]
    holder_mail = next(m for m in mail.outbox if m.to == ["sales@a.test"])
    assert holder_mail.subject == "Your Networking Pro certificate expires in 60 days"
    assert "expires on 2027-03-31" in holder_mail.body
    assert "/learning/certificates/" in holder_mail.body
    admin_mail = next(m for m in mail.outbox if m.to == ["admin@a.test"])
    name = world.users["partner_sales"].get_full_name()
    assert admin_mail.subject == f"{name}'s Networking Pro certificate expires in 60 days"
    assert "at Acme Trading" in admin_mail.body
    assert "/partners/P-A/#certified" in admin_mail.body
    notes = Notification.objects.filter(category=Category.LEARNING)
    assert {n.recipient.email for n in notes} == {"admin@a.test", "sales@a.test"}
    # finance and the other partner hear nothing
    assert not Notification.objects.filter(
        recipient__in=[world.users["partner_finance"], world.users["other_partner"]]
    ).exists()
    event = Event.objects.get(verb="certificate.reminder_sent")
    assert event.partner == world.partner
    assert event.after["days"] == 60


def test_each_reminder_goes_once_and_the_fourteen_day_one_follows(
    world, certificate, django_capture_on_commit_callbacks
):
    sixty = EXPIRES - dt.timedelta(days=60)
    assert _run(sixty, django_capture_on_commit_callbacks) == {"60d": 1, "14d": 0}
    # the same day again, and every day until the 14-day mark: nothing more
    for day in (sixty, sixty + dt.timedelta(days=1), EXPIRES - dt.timedelta(days=15)):
        assert _run(day, django_capture_on_commit_callbacks) == {"60d": 0, "14d": 0}
        assert mail.outbox == []
    assert _run(EXPIRES - dt.timedelta(days=14), django_capture_on_commit_callbacks) == {
        "60d": 0,
        "14d": 1,
    }
    assert {m.to[0] for m in mail.outbox} == {"admin@a.test", "sales@a.test"}
    assert "in 14 days" in mail.outbox[0].subject
    assert _run(EXPIRES - dt.timedelta(days=1), django_capture_on_commit_callbacks) == {
        "60d": 0,
        "14d": 0,
    }
    assert sorted(certificate.reminders.values_list("kind", flat=True)) == ["14d", "60d"]
    assert Event.objects.filter(verb="certificate.reminder_sent").count() == 2


def test_nothing_before_sixty_days_nor_on_or_after_expiry(
    world, certificate, django_capture_on_commit_callbacks
):
    for day in (EXPIRES - dt.timedelta(days=61), EXPIRES, EXPIRES + dt.timedelta(days=3)):
        assert _run(day, django_capture_on_commit_callbacks) == {"60d": 0, "14d": 0}
    assert not CertificateReminder.objects.exists()


def test_a_missed_day_is_caught_up_and_a_late_start_skips_the_sixty_day_reminder(
    world, certificate, django_capture_on_commit_callbacks
):
    # no run on day 60: the first run inside the window sends it
    assert _run(EXPIRES - dt.timedelta(days=40), django_capture_on_commit_callbacks)["60d"] == 1
    other = UserFactory(email="late@a.test")
    MembershipFactory(user=other, partner=world.partner, role="sales")
    late = Certificate.objects.create(
        user=other, certification=certificate.certification, earned=D(2026, 3, 1), expires=EXPIRES
    )
    # first seen 10 days before expiry: only the 14-day reminder
    assert _run(EXPIRES - dt.timedelta(days=10), django_capture_on_commit_callbacks) == {
        "60d": 0,
        "14d": 2,
    }
    assert list(late.reminders.values_list("kind", flat=True)) == ["14d"]


def test_a_renewed_certificate_stops_the_reminders_of_the_old_one(
    world, certificate, net, django_capture_on_commit_callbacks
):
    renewal = certificate_earn(
        user=world.users["partner_sales"], certification=net, earned=D(2027, 2, 1)
    )
    # renewed inside the 90 days: runs from the old expiry
    assert renewal.expires == D(2028, 3, 31)
    assert _run(EXPIRES - dt.timedelta(days=60), django_capture_on_commit_callbacks) == {
        "60d": 0,
        "14d": 0,
    }
    assert _run(EXPIRES - dt.timedelta(days=14), django_capture_on_commit_callbacks) == {
        "60d": 0,
        "14d": 0,
    }
    assert mail.outbox == []
    # the renewal itself is reminded of in its own time
    assert (
        _run(D(2028, 3, 31) - dt.timedelta(days=60), django_capture_on_commit_callbacks)["60d"] == 1
    )
    assert list(CertificateReminder.objects.values_list("certificate_id", flat=True)) == [
        renewal.pk
    ]


def test_an_admin_holder_is_told_once_and_a_holder_of_two_partners_reaches_both_admins(
    world, net, django_capture_on_commit_callbacks
):
    consultant = UserFactory(email="consultant@x.test")
    MembershipFactory(user=consultant, partner=world.partner, role="finance")
    MembershipFactory(user=consultant, partner=world.other_partner, role="admin")
    certificate_earn(user=consultant, certification=net, earned=D(2026, 3, 31))
    _run(EXPIRES - dt.timedelta(days=60), django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@a.test",
        "admin@b.test",
        "consultant@x.test",
    ]
    assert set(
        Event.objects.filter(verb="certificate.reminder_sent").values_list(
            "partner__code", flat=True
        )
    ) == {"P-A", "P-B"}


def test_a_second_run_that_finds_the_rows_taken_sends_nothing(
    world, certificate, monkeypatch, django_capture_on_commit_callbacks
):
    """The guard is the unique row: a run that inserts nothing of its own sends nothing, even
    when its selection still lists the certificate (as a run started at the same moment)."""
    from enablement import certificate_services

    day = EXPIRES - dt.timedelta(days=60)
    CertificateReminder.objects.create(
        certificate=certificate,
        kind="60d",
        sent_on=day,
        claim="00000000-0000-0000-0000-000000000001",
    )
    stale = certificate_services.certificates_due_for_reminder

    def due_as_before(*, kind, today):
        # what a concurrent run selected before the first one committed its rows
        if kind == "60d":
            return Certificate.objects.filter(pk=certificate.pk)
        return stale(kind=kind, today=today)

    monkeypatch.setattr(certificate_services, "certificates_due_for_reminder", due_as_before)
    assert _run(day, django_capture_on_commit_callbacks) == {"60d": 0, "14d": 0}
    assert mail.outbox == []
    assert certificate.reminders.count() == 1


def test_the_daily_task_is_scheduled_under_its_name_and_sends(world, certificate, settings):
    app.loader.import_default_modules()
    assert "enablement.tasks.certificate_reminders_task" in app.tasks
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enablement.tasks.certificate_reminders_task" in tasks
    result = certificate_reminders_task.apply().get()
    assert result == {"60d": 0, "14d": 0}


def test_earning_a_certificate_is_in_the_partners_history(world, net):
    certificate = certificate_earn(
        user=world.users["partner_sales"],
        certification=net,
        earned=D(2026, 3, 31),
        actor=world.users["vendor_admin"],
    )
    event = Event.objects.get(verb="certificate.earned")
    assert event.partner == world.partner
    assert event.actor == world.users["vendor_admin"]
    assert event.target_id == str(certificate.pk)
    assert event.after["expires"] == "2027-03-31"
    # earning the same certificate on the same day again records nothing more
    certificate_earn(user=world.users["partner_sales"], certification=net, earned=D(2026, 3, 31))
    assert Event.objects.filter(verb="certificate.earned").count() == 1


def test_demo_certificates_are_idempotent_and_one_is_due_for_its_reminder(
    db, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from enablement.demo_certificates import seed_demo_certificates

    call_command("seed_demo", verbosity=0)
    assert seed_demo_certificates(actor=None) == 0
    today = timezone.localdate()
    holders = Certificate.objects.filter(earned__lte=today, expires__gt=today)
    assert holders.filter(user__memberships__partner__code="P-FORMOSA").count() >= 2
    assert Certificate.objects.filter(expires__lte=today).count() == 1
    counts = _run(today, django_capture_on_commit_callbacks)
    assert counts["60d"] == 1
    assert {m.to[0] for m in mail.outbox} == {"sales@formosa.example", "admin@formosa.example"}
