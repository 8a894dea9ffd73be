"""Settlement periods: months ("2026-10") and quarters ("2026-Q4")."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    label: str
    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[str]:
        out, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def month(label: str) -> Period:
    match = _MONTH.match(label)
    if not match:
        raise ValueError(f"not a month (YYYY-MM): {label!r}")
    year, mon = int(match[1]), int(match[2])
    return Period(
        label, dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])
    )


def quarter_of(label: str) -> Period:
    """The quarter that contains the month `label`."""
    m = month(label)
    q = (m.start.month - 1) // 3 + 1
    start = dt.date(m.start.year, 3 * q - 2, 1)
    end_month = 3 * q
    end = dt.date(m.start.year, end_month, calendar.monthrange(m.start.year, end_month)[1])
    return Period(f"{m.start.year}-Q{q}", start, end)


def parse(label: str) -> Period:
    """A month or a quarter label."""
    match = _QUARTER.match(label)
    if match:
        return quarter_of(f"{match[1]}-{3 * int(match[2]):02d}")
    return month(label)


def month_of(date: dt.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"
