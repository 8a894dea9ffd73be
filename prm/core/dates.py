"""Dates and times written as the `date` template filter writes them, for rows that write many.

`dateformat.format` builds a formatter for every value, splits the format string again and
translates the names of months, days and "a.m." or "noon" again for each value. Here a format is
split once; the text of its day characters (`N j, Y`) is written once per language and calendar
day, and that of its time characters (`P`, `H:i`) once per language and time of day. A format
with any other character (a time zone, an ISO or RFC date, microseconds) goes to
`dateformat.format` whole.
"""

import datetime as dt
from functools import lru_cache

from django.utils import dateformat
from django.utils.translation import get_language

# Format characters whose text depends on the calendar day alone, and on the time of day alone.
DAY_CHARACTERS = frozenset("bdDEFjlLmMnNoStwWyYz")
CLOCK_CHARACTERS = frozenset("aAfgGhHiPs")


@lru_cache(maxsize=256)
def _pieces(date_format: str) -> tuple[tuple[str, str], ...] | None:
    """`date_format` as (kind, text) pieces: kind "" for literal text, "day" or "clock" for a
    format character; None when it holds a character of neither kind."""
    pieces: list[tuple[str, str]] = []
    for index, piece in enumerate(dateformat.re_formatchars.split(date_format)):
        if index % 2:
            if piece in DAY_CHARACTERS:
                pieces.append(("day", piece))
            elif piece in CLOCK_CHARACTERS:
                pieces.append(("clock", piece))
            else:
                return None
        elif piece:
            pieces.append(("", dateformat.re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


@lru_cache(maxsize=256)
def _reads_clock(date_format: str) -> bool:
    return any(kind == "clock" for kind, _ in _pieces(date_format) or ())


@lru_cache(maxsize=4096)
def _day_texts(language: str, date_format: str, day: dt.date) -> tuple[str, ...]:
    """The text of each piece of `date_format` for `day`: literal text and day characters
    written, time characters left empty."""
    formatter = dateformat.DateFormat(day)
    return tuple(
        str(getattr(formatter, text)()) if kind == "day" else (text if not kind else "")
        for kind, text in _pieces(date_format)
    )


@lru_cache(maxsize=4096)
def _clock_texts(language: str, date_format: str, clock: dt.time) -> tuple[str, ...]:
    """The text of each time character of `date_format` at `clock`, empty for the others."""
    formatter = dateformat.TimeFormat(clock)
    return tuple(
        str(getattr(formatter, text)()) if kind == "clock" else ""
        for kind, text in _pieces(date_format)
    )


def format_value(value: dt.date | dt.datetime, date_format: str) -> str:
    """`dateformat.format(value, date_format)`: the same text, for a date or a datetime already
    in the reader's time zone (`template_localtime`)."""
    date_format = str(date_format)
    is_datetime = isinstance(value, dt.datetime)
    reads_clock = _reads_clock(date_format)
    if _pieces(date_format) is None or (reads_clock and not is_datetime):
        return dateformat.format(value, date_format)
    language = get_language()
    texts = _day_texts(language, date_format, value.date() if is_datetime else value)
    if not reads_clock:
        return "".join(texts)
    clock = dt.time(value.hour, value.minute, value.second)
    clocks = _clock_texts(language, date_format, clock)
    return "".join(
        clock_text if kind == "clock" else text
        for (kind, _), text, clock_text in zip(_pieces(date_format), texts, clocks, strict=True)
    )
