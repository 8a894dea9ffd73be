"""Calendar invitations (iCalendar, RFC 5545) for business reviews: sent with the scheduling
emails and downloadable from the review page. Calendar clients match updates by UID and keep
the copy with the highest SEQUENCE."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from prm.notifications.services import absolute_url

from .models import BusinessReview
from .notifications import partner_admins

REQUEST = "REQUEST"
CANCEL = "CANCEL"
MIMETYPE = {REQUEST: "text/calendar; method=REQUEST", CANCEL: "text/calendar; method=CANCEL"}


def review_uid(review: BusinessReview) -> str:
    host = urlsplit(settings.PRM_SITE_URL).hostname or "prm.invalid"
    return f"review-{review.pk}@{host}"


def _address(user, role: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.get_full_name())
    address.params["role"] = vText(role)
    return address


def review_attendees(review: BusinessReview) -> list:
    """Who is invited: the organiser (the account manager) and the partner's admins."""
    people = [review.organiser or review.partner.account_manager, *partner_admins(review.partner)]
    seen, unique = set(), []
    for user in people:
        if user is not None and user.is_active and user.email and user.pk not in seen:
            seen.add(user.pk)
            unique.append(user)
    return unique


def review_ics(review: BusinessReview, *, method: str | None = None) -> str:
    """The review as an iCalendar text: METHOD:CANCEL once cancelled, else REQUEST."""
    if method is None:
        method = CANCEL if review.status == BusinessReview.Status.CANCELLED else REQUEST
    partner = review.partner
    link = absolute_url(reverse("review_detail", kwargs={"pk": review.pk}))
    start = review.scheduled_at.astimezone(dt.UTC)
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("Business review: %(partner)s") % {"partner": partner.display_name}
        description = "\n".join(
            [
                _("Business review with %(partner)s (%(code)s).")
                % {"partner": partner.display_name, "code": partner.code},
                _("Scorecard, shared notes and action items: %(link)s") % {"link": link},
            ]
        )
    calendar = Calendar()
    calendar.add("prodid", "-//PRM Portal//Business reviews//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", review_uid(review))
    event.add("sequence", review.sequence)
    event.add("dtstamp", timezone.now().astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=review.duration_minutes))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", link)
    if review.location:
        event.add("location", review.location)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    organiser = review.organiser or partner.account_manager
    if organiser is not None and organiser.email:
        event.add("organizer", _address(organiser, "CHAIR"))
    else:
        event.add("organizer", vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}"))
    for user in review_attendees(review):
        event.add("attendee", _address(user, "REQ-PARTICIPANT"), encode=0)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def review_ics_attachment(review: BusinessReview, *, method: str) -> tuple[str, str, str]:
    return (f"review-{review.pk}.ics", review_ics(review, method=method), MIMETYPE[method])
