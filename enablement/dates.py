"""Calendar arithmetic for certificates: whole months, same day, clamped to the month's end."""

import calendar
import datetime

RENEWAL_WINDOW_DAYS = 90


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month ``months`` later, clamped to that month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def certificate_expiry(
    *,
    earned: datetime.date,
    validity_months: int,
    previous_expiry: datetime.date | None = None,
) -> datetime.date:
    """When a certificate earned on ``earned`` expires.

    A renewal earned in the 90 days before the previous certificate's expiry (and before that
    expiry) runs from the previous expiry date instead of the day it was earned.
    """
    start = earned
    if previous_expiry is not None:
        window_opens = previous_expiry - datetime.timedelta(days=RENEWAL_WINDOW_DAYS)
        if window_opens <= earned < previous_expiry:
            start = previous_expiry
    return add_months(start, validity_months)
