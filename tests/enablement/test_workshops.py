"""Workshops: seats and the waiting list served in order, the calendar invitation, the reminder
the day before (once), and attendance completing the linked course with its certificate."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enablement.models import Certificate, Enrollment, Workshop, WorkshopRegistration
from enablement.workshops import (
    workshop_cancel,
    workshop_register,
    workshop_reminders_send,
    workshop_seats_fill,
)
from prm.notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory

from .learning_builders import course_build

CONFIRMED, WAITING = "confirmed", "waiting"


def _workshop(*, capacity=2, course=None, days=10, place="Taipei office"):
    starts = timezone.now() + dt.timedelta(days=days)
    return Workshop.objects.create(
        title="Router lab",
        title_zh_hant="路由實作",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        place=place,
        capacity=capacity,
        course=course,
    )


def _people(world, n):
    people = []
    for i in range(n):
        user = UserFactory(email=f"learner{i}@a.test")
        MembershipFactory(user=user, partner=world.partner, role="sales")
        people.append(user)
    return people


def _statuses(workshop):
    return list(
        workshop.registrations.exclude(status="cancelled")
        .order_by("created_at", "pk")
        .values_list("user__email", "status")
    )


def test_a_full_workshop_puts_people_on_the_waiting_list_in_order(world):
    workshop = _workshop(capacity=2)
    a, b, c, d = _people(world, 4)
    for user in (a, b, c, d):
        workshop_register(user=user, partner=world.partner, workshop=workshop)
    assert _statuses(workshop) == [
        (a.email, CONFIRMED),
        (b.email, CONFIRMED),
        (c.email, WAITING),
        (d.email, WAITING),
    ]
    # registering twice answers the same registration
    again = workshop_register(user=c, partner=world.partner, workshop=workshop)
    assert again.status == WAITING
    assert workshop.registrations.filter(user=c).count() == 1


def test_a_freed_seat_goes_to_the_first_waiting(world, django_capture_on_commit_callbacks):
    workshop = _workshop(capacity=2)
    a, b, c, d = _people(world, 4)
    for user in (a, b, c, d):
        workshop_register(user=user, partner=world.partner, workshop=workshop)
    with django_capture_on_commit_callbacks(execute=True):
        promoted = workshop_cancel(user=a, workshop=workshop)
    assert [r.user for r in promoted] == [c]
    assert dict(_statuses(workshop)) == {b.email: CONFIRMED, c.email: CONFIRMED, d.email: WAITING}
    assert [m.to for m in mail.outbox] == [[c.email]]
    assert "Router lab" in mail.outbox[0].subject
    # someone leaving the waiting list frees no seat
    assert workshop_cancel(user=d, workshop=workshop) == []
    # more seats in admin: the waiting list takes them
    workshop_register(user=a, partner=world.partner, workshop=workshop)
    workshop.capacity = 3
    workshop.save()
    assert [r.user for r in workshop_seats_fill(workshop)] == [a]


def test_registration_closes_when_the_workshop_starts(world):
    workshop = _workshop(days=-1)
    client = world.client("partner_sales")
    client.post(reverse("workshop_register", kwargs={"pk": workshop.pk}))
    assert not WorkshopRegistration.objects.exists()


def test_register_and_cancel_through_the_pages(world):
    workshop = _workshop(capacity=1)
    sales, admin = world.client("partner_sales"), world.client("partner_admin")
    assert sales.post(reverse("workshop_register", kwargs={"pk": workshop.pk})).status_code == 302
    admin.post(reverse("workshop_register", kwargs={"pk": workshop.pk}))
    page = admin.get(reverse("workshop_list"))
    (shown,) = page.context["workshops"]
    assert shown.mine.status == WAITING
    assert shown.seats_left == 0
    sales.post(reverse("workshop_cancel", kwargs={"pk": workshop.pk}))
    assert WorkshopRegistration.objects.get(user=world.users["partner_admin"]).status == CONFIRMED
    # nothing to cancel any more
    response = sales.post(reverse("workshop_cancel", kwargs={"pk": workshop.pk}))
    assert response.status_code == 404


def test_a_workshop_of_a_course_for_another_tier_answers_404(world):
    course = course_build(tiers=[world.other_partner.tier])
    workshop = _workshop(course=course)
    client = world.client("partner_sales")
    assert client.get(reverse("workshop_calendar", kwargs={"pk": workshop.pk})).status_code == 404
    assert client.post(reverse("workshop_register", kwargs={"pk": workshop.pk})).status_code == 404
    assert client.get(reverse("workshop_list")).context["workshops"] == []
    other = world.client("other_partner")
    assert other.get(reverse("workshop_calendar", kwargs={"pk": workshop.pk})).status_code == 200


def test_the_calendar_invitation(world):
    workshop = _workshop(place="", days=5)
    Workshop.objects.filter(pk=workshop.pk).update(online_url="https://meet.example/lab")
    response = world.client("partner_sales").get(
        reverse("workshop_calendar", kwargs={"pk": workshop.pk})
    )
    assert response["Content-Type"] == "text/calendar"
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body
    assert f"UID:workshop-{workshop.pk}@" in body
    assert "SUMMARY:Router lab" in body
    assert "LOCATION:https://meet.example/lab" in body
    start = workshop.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in body


def test_the_reminder_goes_the_day_before_once(world, django_capture_on_commit_callbacks):
    now = timezone.now()
    tomorrow = timezone.localtime(now).replace(hour=10, minute=0) + dt.timedelta(days=1)
    workshop = _workshop(capacity=1)
    Workshop.objects.filter(pk=workshop.pk).update(
        starts_at=tomorrow, ends_at=tomorrow + dt.timedelta(hours=2)
    )
    later = _workshop(days=3)
    a, b = _people(world, 2)
    workshop.refresh_from_db()
    workshop_register(user=a, partner=world.partner, workshop=workshop)
    workshop_register(user=b, partner=world.partner, workshop=workshop)  # waiting: no reminder
    workshop_register(user=b, partner=world.partner, workshop=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert workshop_reminders_send(now=now) == 1
    assert workshop_reminders_send(now=now) == 0
    assert [m.to for m in mail.outbox] == [[a.email]]
    (attachment,) = mail.outbox[0].attachments
    assert attachment[0] == "workshop.ics"
    assert "Taipei office" in mail.outbox[0].body
    assert Notification.objects.filter(recipient=a).count() == 1


def test_attendance_completes_the_course_and_earns_the_certificate(world):
    course = course_build()
    workshop = _workshop(course=course)
    sales, finance = world.users["partner_sales"], world.users["partner_finance"]
    for user in (sales, finance):
        workshop_register(user=user, partner=world.partner, workshop=workshop)
    registration = WorkshopRegistration.objects.get(user=sales)
    client = world.client("cm_assigned")
    url = reverse("workshop_attendance", kwargs={"pk": workshop.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, {"attended": [str(registration.pk), "x", "99999"]})
    assert response.status_code == 302
    assert WorkshopRegistration.objects.get(user=sales).attended is True
    assert WorkshopRegistration.objects.get(user=finance).attended is False
    certificate = Certificate.objects.get()
    assert certificate.user == sales
    assert certificate.certification == course.certification
    assert Enrollment.objects.get(user=sales).passed_at is not None


def test_a_channel_manager_records_only_their_partners(world):
    workshop = _workshop(course=course_build())
    registration = workshop_register(
        user=world.users["other_partner"], partner=world.other_partner, workshop=workshop
    )
    client = world.client("cm_assigned")
    url = reverse("workshop_attendance", kwargs={"pk": workshop.pk})
    assert list(client.get(url).context["registrations"]) == []
    client.post(url, {"attended": [str(registration.pk)]})
    registration.refresh_from_db()
    assert registration.attended is None
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("role", ["partner_admin", "partner_sales"])
def test_partner_users_cannot_record_attendance(world, role):
    workshop = _workshop(course=course_build())
    registration = workshop_register(
        user=world.users[role], partner=world.partner, workshop=workshop
    )
    url = reverse("workshop_attendance", kwargs={"pk": workshop.pk})
    assert world.client(role).post(url, {"attended": [str(registration.pk)]}).status_code == 403
    assert not Certificate.objects.exists()


def test_the_daily_reminder_task_is_scheduled_and_sends(world, settings):
    from enablement.tasks import workshop_reminders_task
    from prm.celery import app

    app.loader.import_default_modules()
    assert "enablement.tasks.workshop_reminders_task" in app.tasks
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enablement.tasks.workshop_reminders_task" in tasks
    tomorrow = timezone.localtime().replace(hour=10, minute=0) + dt.timedelta(days=1)
    workshop = _workshop()
    Workshop.objects.filter(pk=workshop.pk).update(
        starts_at=tomorrow, ends_at=tomorrow + dt.timedelta(hours=1)
    )
    workshop.refresh_from_db()
    workshop_register(user=world.users["partner_sales"], partner=world.partner, workshop=workshop)
    assert workshop_reminders_task.apply().get() == 1
    assert workshop_reminders_task.apply().get() == 0
