"""Exchange rates: the latest rate of a pair on or before a day, and conversion by it.

A day uses the newest rate dated on or before it; the amount converted is rounded half-up to
the minor unit of the currency it is converted into."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from prm.core.money import quantize

from .models import ExchangeRate


@dataclass(frozen=True)
class Rate:
    from_currency: str
    to_currency: str
    date: dt.date
    rate: Decimal

    @property
    def label(self) -> str:
        """ "USD→TWD 31.50 on 2026-10-01"."""
        pair = f"{self.from_currency}→{self.to_currency}"
        return f"{pair} {rate_text(self.rate)} on {self.date:%Y-%m-%d}"


def rate_text(rate: Decimal) -> str:
    """A rate without its trailing zeros, but with two decimals at least: 31.50, 7.8125."""
    text = format(rate.normalize(), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def convert(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """`amount` times `rate`, rounded half-up to the minor unit of `currency`."""
    return quantize(amount * rate, currency)


def no_rate_reason(from_currency: str, to_currency: str, day: dt.date) -> str:
    return f"no {from_currency}→{to_currency} rate on or before {day:%Y-%m-%d}"


class RateBook:
    """Every rate of the pairs asked for, read in one query; lookups are in memory."""

    def __init__(self, pairs: Iterable[tuple[str, str]] | None = None) -> None:
        rates = ExchangeRate.objects.order_by("from_currency", "to_currency", "date")
        if pairs is not None:
            pairs = {(a, b) for a, b in pairs if a != b}
            if not pairs:
                rates = rates.none()
            else:
                wanted = {a for a, _ in pairs}
                rates = rates.filter(from_currency__in=wanted)
        self._dates: dict[tuple[str, str], list[dt.date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        for from_currency, to_currency, date, rate in rates.values_list(
            "from_currency", "to_currency", "date", "rate"
        ):
            self._dates.setdefault((from_currency, to_currency), []).append(date)
            self._rates.setdefault((from_currency, to_currency), []).append(rate)

    def latest(self, from_currency: str, to_currency: str, day: dt.date) -> Rate | None:
        """The newest rate of the pair dated on or before `day`, or None."""
        dates = self._dates.get((from_currency, to_currency))
        if not dates:
            return None
        position = bisect.bisect_right(dates, day)
        if position == 0:
            return None
        return Rate(
            from_currency,
            to_currency,
            dates[position - 1],
            self._rates[(from_currency, to_currency)][position - 1],
        )
