"""Workshops: registration with a waiting list, cancellation that promotes the next person in
line, the calendar invitation, the reminder the day before, and attendance.

Seats are counted under a lock on the workshop row, so two people taking the last seat at once
get one seat and one place on the waiting list."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from partners.models import Partner
from partners.selectors import partner_visible_queryset
from prm.core.access import VENDOR_ROLES
from prm.core.errors import DomainError
from prm.notifications.models import Category
from prm.notifications.services import absolute_url, notify

from .learning import _audience, course_pass, localized
from .models import Workshop, WorkshopRegistration

Status = WorkshopRegistration.Status
LIVE = (Status.CONFIRMED, Status.WAITING)


def workshops_for(*, user, role, partner: Partner | None) -> QuerySet[Workshop]:
    """The workshops the reader may see: vendor staff every one; a partner user those without a
    course or whose course is meant for them."""
    workshops = Workshop.objects.select_related("course").annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status=Status.CONFIRMED)),
        waiting=Count("registrations", filter=Q(registrations__status=Status.WAITING)),
    )
    if role in VENDOR_ROLES:
        return workshops
    if partner is None:
        return workshops.none()
    courses = [course.pk for course in _audience(partner, role.removeprefix("partner_"))]
    return workshops.filter(Q(course__isnull=True) | Q(course_id__in=courses))


def workshop_get(*, user, role, partner, pk: int) -> Workshop:
    try:
        workshop = workshops_for(user=user, role=role, partner=partner).get(pk=pk)
    except Workshop.DoesNotExist as exc:
        raise Http404 from exc
    workshop.display_title = localized(workshop, "title")
    return workshop


def registration_live(*, user, workshop: Workshop) -> WorkshopRegistration | None:
    return WorkshopRegistration.objects.filter(
        workshop=workshop, user=user, status__in=LIVE
    ).first()


def _locked(workshop: Workshop) -> Workshop:
    return Workshop.objects.select_for_update().get(pk=workshop.pk)


def _confirmed_count(workshop: Workshop) -> int:
    return workshop.registrations.filter(status=Status.CONFIRMED).count()


@transaction.atomic
def workshop_register(*, user, partner: Partner, workshop: Workshop) -> WorkshopRegistration:
    """A seat if one is free, else a place on the waiting list; registering twice answers the
    live registration."""
    workshop = _locked(workshop)
    if workshop.starts_at <= timezone.now():
        raise DomainError(_("This workshop has already started."))
    existing = registration_live(user=user, workshop=workshop)
    if existing is not None:
        return existing
    status = Status.CONFIRMED if _confirmed_count(workshop) < workshop.capacity else Status.WAITING
    return WorkshopRegistration.objects.create(
        workshop=workshop, user=user, partner=partner, status=status
    )


def _promote(workshop: Workshop) -> list[WorkshopRegistration]:
    """Fill free seats from the waiting list in order (the workshop row is locked)."""
    free = workshop.capacity - _confirmed_count(workshop)
    if free <= 0:
        return []
    promoted = list(
        workshop.registrations.filter(status=Status.WAITING)
        .select_related("user")
        .order_by("created_at", "pk")[:free]
    )
    now = timezone.now()
    for registration in promoted:
        registration.status = Status.CONFIRMED
        registration.promoted_at = now
        registration.save(update_fields=["status", "promoted_at", "updated_at"])
    if promoted:
        notify(
            users=[r.user for r in promoted],
            category=Category.LEARNING,
            template="enablement/email/workshop_promoted",
            context={
                "workshop": workshop.title,
                "starts": timezone.localtime(workshop.starts_at),
            },
            url=reverse("workshop_list"),
            channels=False,
        )
    return promoted


@transaction.atomic
def workshop_seats_fill(workshop: Workshop) -> list[WorkshopRegistration]:
    """After seats were added: the waiting list takes them in order."""
    return _promote(_locked(workshop))


@transaction.atomic
def workshop_cancel(*, user, workshop: Workshop) -> list[WorkshopRegistration]:
    """Give up a seat or a place in line; a freed seat goes to the first person waiting.
    Answers the registrations promoted."""
    workshop = _locked(workshop)
    registration = registration_live(user=user, workshop=workshop)
    if registration is None:
        raise Http404
    registration.status = Status.CANCELLED
    registration.save(update_fields=["status", "updated_at"])
    return _promote(workshop)


def registrations_visible(*, user, workshop: Workshop) -> QuerySet[WorkshopRegistration]:
    """Vendor staff: the live registrations of the partners they may see."""
    return (
        workshop.registrations.filter(
            status__in=LIVE, partner__in=partner_visible_queryset(user=user)
        )
        .select_related("user", "partner")
        .order_by("status", "created_at", "pk")
    )


@transaction.atomic
def attendance_record(*, actor, workshop: Workshop, attended_ids: set[int]) -> int:
    """Record who attended among the confirmed registrations the actor may see (the others
    absent); each attendee completes the linked course and earns its certification. Answers
    the number of attendees."""
    registrations = list(
        registrations_visible(user=actor, workshop=workshop)
        .filter(status=Status.CONFIRMED)
        .select_for_update(of=("self",))
    )
    count = 0
    for registration in registrations:
        present = registration.pk in attended_ids
        if registration.attended != present:
            registration.attended = present
            registration.save(update_fields=["attended", "updated_at"])
        if present:
            count += 1
            if workshop.course_id:
                course_pass(user=registration.user, course=workshop.course, actor=actor)
    return count


def workshop_uid(workshop: Workshop) -> str:
    host = urlsplit(settings.PRM_SITE_URL).hostname or "prm.invalid"
    return f"workshop-{workshop.pk}@{host}"


def workshop_ics(workshop: Workshop) -> str:
    """The workshop as an iCalendar invitation (RFC 5545)."""
    link = absolute_url(reverse("workshop_list")) + f"#workshop-{workshop.pk}"
    calendar = Calendar()
    calendar.add("prodid", "-//PRM Portal//Workshops//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", workshop_uid(workshop))
    event.add("sequence", workshop.sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", workshop.starts_at.astimezone(dt.UTC))
    event.add("dtend", workshop.ends_at.astimezone(dt.UTC))
    event.add("summary", localized(workshop, "title"))
    description = workshop.description
    if workshop.online_url:
        description = f"{description}\n{workshop.online_url}".strip()
    event.add("description", f"{description}\n{link}".strip())
    event.add("url", workshop.online_url or link)
    if workshop.place:
        event.add("location", workshop.place)
    elif workshop.online_url:
        event.add("location", workshop.online_url)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def workshop_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind each confirmed person the day before their workshop (daily run), once: a run
    claims the rows still unreminded with one UPDATE and sends only those it claimed."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    claim = uuid.uuid4()
    with transaction.atomic():
        due = WorkshopRegistration.objects.filter(
            status=Status.CONFIRMED,
            reminded_at__isnull=True,
            workshop__starts_at__date=tomorrow,
        )
        # Another run's claim wins a row it updated first: this UPDATE skips it.
        WorkshopRegistration.objects.filter(
            pk__in=list(due.values_list("pk", flat=True)), reminded_at__isnull=True
        ).update(reminded_at=now, reminder_claim=claim)
        claimed = list(
            WorkshopRegistration.objects.filter(reminder_claim=claim)
            .select_related("workshop", "user", "partner")
            .order_by("workshop__starts_at", "pk")
        )
        for registration in claimed:
            workshop = registration.workshop
            with translation.override(registration.user.language or settings.LANGUAGE_CODE):
                ics = workshop_ics(workshop)
            notify(
                users=[registration.user],
                category=Category.LEARNING,
                template="enablement/email/workshop_reminder",
                context={
                    "workshop": workshop.title,
                    "starts": timezone.localtime(workshop.starts_at),
                    "place": workshop.place,
                    "online_url": workshop.online_url,
                },
                url=reverse("workshop_list"),
                partner=registration.partner,
                attachments=[("workshop.ics", ics, "text/calendar")],
                channels=False,
            )
    return len(claimed)
