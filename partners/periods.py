"""Target periods are calendar months written YYYY-MM, as in statements and the program file."""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def current_period() -> str:
    return period_of(timezone.localdate())


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of the month `period`."""
    year, month = (int(part) for part in period.split("-"))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def period_shift(period: str, months: int) -> str:
    year, month = (int(part) for part in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
