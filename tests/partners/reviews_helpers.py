"""Shared helpers of the business review tests: a fixed clock, agreements with a cadence, and
calendar parsing."""

import datetime as dt

from django.utils import timezone
from icalendar import Calendar

from agreements.models import Agreement, AgreementVersion


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """`hour` o'clock on `day` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


# A Wednesday, 09:00 in the project's time zone.
TODAY = dt.date(2026, 3, 4)
NOW = at(TODAY)


def agreement_with_cadence(
    partner,
    cadence: str,
    *,
    in_force_from: dt.date = dt.date(2026, 1, 1),
    status: str = Agreement.Status.ACTIVE,
    number: str | None = None,
) -> AgreementVersion:
    agreement = Agreement.objects.create(
        number=number or f"AG-{partner.code}-{cadence}",
        partner=partner,
        status=status,
        start=dt.date(2026, 1, 1),
        end=dt.date(2027, 12, 31),
    )
    return AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        status=AgreementVersion.Status.ACCEPTED,
        effective_date=in_force_from,
        in_force_from=in_force_from,
        review_cadence=cadence,
    )


def ics_event(content: str):
    """The calendar's METHOD and its one VEVENT."""
    calendar = Calendar.from_ical(content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return str(calendar["METHOD"]), events[0]


def ics_attachments(message) -> list[str]:
    return [content for _name, content, mimetype in message.attachments if "calendar" in mimetype]
