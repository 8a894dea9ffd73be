"""Exchange rates: the latest rate of a pair on or before a day, and conversion by it.

A day uses the newest rate dated on or before it; the amount converted is rounded half-up to
the minor unit of the currency it is converted into."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from prm.core.money import quantize
from prm.core.prepared import PreparedQuery

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


def _rates() -> QuerySet:
    return ExchangeRate.objects.order_by("from_currency", "to_currency", "date").values_list(
        "from_currency", "to_currency", "date", "rate"
    )


@functools.cache
def _rates_into(currency: str) -> PreparedQuery:
    """Every rate into `currency` (a reporting total's), compiled once."""
    return PreparedQuery(lambda: _rates().filter(to_currency=currency))


class RateBook:
    """Every rate of the pairs asked for, read in one query; lookups are in memory."""

    def __init__(
        self, pairs: Iterable[tuple[str, str]] | None = None, *, to_currency: str = ""
    ) -> None:
        if pairs is not None:
            pairs = {(a, b) for a, b in pairs if a != b}
        if pairs is None and to_currency:
            rows = _rates_into(to_currency)()
        elif pairs is not None and not pairs:
            rows = []  # no pair to convert: nothing to read
        else:
            rates = _rates()
            if to_currency:
                rates = rates.filter(to_currency=to_currency)
            if pairs is not None:
                rates = rates.filter(from_currency__in={a for a, _ in pairs})
            rows = rates
        self._dates: dict[tuple[str, str], list[dt.date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        for from_currency, to_currency, date, rate in rows:
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


@dataclass
class ReportingTotal:
    """Amounts in several currencies totalled in the reporting currency: each currency's sum
    converted at the latest rate on or before `day`, the rates used listed, and the sums of the
    currencies without a rate kept apart (never dropped)."""

    currency: str
    day: dt.date
    total: Decimal
    rates: list[Rate]
    unconverted: list[tuple[str, Decimal]]

    @property
    def rate_labels(self) -> list[str]:
        return [rate.label for rate in self.rates]


def reporting_total(
    sums: Iterable[tuple[str, Decimal | None]],
    *,
    day: dt.date,
    currency: str | None = None,
    book: RateBook | None = None,
) -> ReportingTotal:
    """Total `sums` ((currency, amount) pairs, a currency may repeat) in the reporting currency
    (`PRM_REPORTING_CURRENCY` unless given). Reads the rates in one query (none when every sum is
    already in the reporting currency)."""
    from django.conf import settings

    target = currency or settings.PRM_REPORTING_CURRENCY
    by_currency: dict[str, Decimal] = {}
    for code, amount in sums:
        if amount is not None:
            by_currency[code] = by_currency.get(code, Decimal(0)) + amount
    foreign = sorted(code for code in by_currency if code != target)
    if book is None:
        # Always one query, whatever currencies the sums hold: the callers' counts stay fixed.
        book = RateBook(to_currency=target)
    total = quantize(by_currency.get(target, Decimal(0)), target)
    used: list[Rate] = []
    unconverted: list[tuple[str, Decimal]] = []
    for code in foreign:
        rate = book.latest(code, target, day)
        if rate is None:
            unconverted.append((code, quantize(by_currency[code], code)))
            continue
        used.append(rate)
        total += convert(by_currency[code], rate.rate, target)
    return ReportingTotal(target, day, total, used, unconverted)
