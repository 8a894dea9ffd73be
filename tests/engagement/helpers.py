"""Shared helpers of the engagement tests: a fixed clock and recorded events at chosen times."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from commissions.models import Statement
from disputes.models import Case
from disputes.services import case_open
from engagement.commitments import Window
from partners.models import BusinessReview

# A Wednesday in the project's time zone.
TODAY = dt.date(2026, 6, 17)


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """`hour`:`minute` on `day` in the project's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


NOW = at(TODAY, 12)
YEAR = Window.year(NOW)


def statement(
    partner,
    period_end: dt.date,
    *,
    paid_on: dt.date | None = None,
    total: Decimal = Decimal("1000.00"),
) -> Statement:
    """A statement of the month ending `period_end` paying `total`, paid at 10:00 on `paid_on`
    if given; a negative total is carried forward, as under a plan that carries."""
    return Statement.objects.create(
        partner=partner,
        period=period_end.strftime("%Y-%m"),
        period_start=period_end.replace(day=1),
        period_end=period_end,
        currency=partner.currency,
        total=total,
        carried_forward=min(total, Decimal("0")),
        status=Statement.Status.PAID if paid_on else Statement.Status.APPROVED,
        paid_at=at(paid_on, 10) if paid_on else None,
    )


def case(partner, *, opened: dt.datetime, priority: str, responded: dt.datetime | None = None):
    """A case opened at `opened` (its SLA deadlines from the service), answered at `responded`."""
    opened_case = case_open(
        actor=None,
        partner=partner,
        kind=Case.Kind.PAYOUT,
        priority=priority,
        subject="Where is the payout?",
        description="Not yet received.",
        now=opened,
    )
    Case.objects.filter(pk=opened_case.pk).update(created_at=opened, first_responded_at=responded)
    opened_case.refresh_from_db()
    return opened_case


def review(partner, *, scheduled: dt.date, held: dt.date | None = None) -> BusinessReview:
    status = BusinessReview.Status.HELD if held else BusinessReview.Status.SCHEDULED
    return BusinessReview.objects.create(
        partner=partner,
        scheduled_at=at(scheduled, 10),
        status=status,
        held_at=at(held, 11) if held else None,
    )
