import datetime as dt
import zoneinfo

import pytest
from django.utils import dateformat, translation
from django.utils.formats import get_format

from prm.core import dates

FORMAT_NAMES = (
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
)
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
# Midnight, noon, a minute either side, mornings and evenings, every month, a leap day,
# days of the week with every English ordinal suffix.
MOMENTS = [
    dt.datetime(2024, month, day, hour, minute, second, tzinfo=TAIPEI)
    for month in range(1, 13)
    for day in (1, 2, 3, 11, 22, 29 if month == 2 else 31 if month in (1, 3, 5) else 30)
    for hour, minute, second in ((0, 0, 0), (0, 1, 5), (11, 59, 59), (12, 0, 0), (13, 30, 7))
]


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize("format_name", FORMAT_NAMES)
def test_each_locale_format_gives_the_date_filters_text(language, format_name):
    with translation.override(language):
        date_format = get_format(format_name)
        for moment in MOMENTS:
            value = moment.date() if "DATE_FORMAT" in format_name else moment
            if format_name in ("MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"):
                value = moment.date()
            assert dates.format_value(value, date_format) == dateformat.format(
                value, date_format
            ), (format_name, value)
            # A datetime under a day-only format: the text of its local date.
            assert dates.format_value(moment, date_format) == dateformat.format(
                moment, date_format
            ), (format_name, moment)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_every_day_and_clock_character_and_escapes(language):
    every = "".join(sorted(dates.DAY_CHARACTERS | dates.CLOCK_CHARACTERS))
    formats = [every, " ".join(every), r"\Y\e\a\r: Y, \h h", r"jS \o\f F, P"]
    with translation.override(language):
        for date_format in formats:
            for moment in MOMENTS:
                expected = dateformat.format(moment, date_format)
                assert dates.format_value(moment, date_format) == expected, date_format


def test_other_characters_go_to_django_whole():
    moment = dt.datetime(2024, 3, 31, 1, 30, tzinfo=TAIPEI)
    for date_format in ("c", "r", "U", "e O T Z", "I", "Y-m-d H:i:s.u"):
        assert dates.format_value(moment, date_format) == dateformat.format(moment, date_format)


def test_a_date_under_a_time_format_fails_as_the_filter_does():
    with pytest.raises(TypeError):
        dates.format_value(dt.date(2024, 1, 1), "H:i")


def test_the_language_of_the_request_is_read_for_each_value():
    moment = dt.datetime(2024, 5, 1, 12, 0, tzinfo=TAIPEI)
    with translation.override("en"):
        english = dates.format_value(moment, "F j, P")
    with translation.override("zh-hant"):
        chinese = dates.format_value(moment, "F j, P")
        expected = dateformat.format(moment, "F j, P")
    assert english == "May 1, noon"
    assert chinese == expected == "五月 1, 中午"
