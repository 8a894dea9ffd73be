"""Exchange rates: the program file's `exchange_rates` section and the one service that saves a
rate. A line already imported keeps the rate it was converted at; a saved rate serves the lines
and totals converted from then on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from agreements.services.program import ExtraSection, LoadReport
from prm.core.events import event_record
from prm.core.money import parse_decimal

from ..models import ExchangeRate
from ..rates import rate_text

RATE_PLACES = ExchangeRate._meta.get_field("rate").decimal_places
MAX_RATE = Decimal("9999999999.99999999")


def exchange_rate_save(
    *, from_currency: str, to_currency: str, date: dt.date, rate: Decimal, actor=None
) -> tuple[ExchangeRate, str]:
    """Create or update the rate of a pair on a day; answers it and "created", "updated" or
    "unchanged" (saving the same rate twice changes nothing)."""
    with transaction.atomic():
        found = (
            ExchangeRate.objects.select_for_update()
            .filter(from_currency=from_currency, to_currency=to_currency, date=date)
            .first()
        )
        if found is not None and found.rate == rate:
            return found, "unchanged"
        before = {"rate": rate_text(found.rate)} if found is not None else {}
        if found is None:
            found = ExchangeRate(
                from_currency=from_currency, to_currency=to_currency, date=date, rate=rate
            )
            found.full_clean()
            found.save()
        else:
            found.rate = rate
            found.full_clean()
            found.save(update_fields=["rate", "updated_at"])
        event_record(
            actor=actor,
            verb="exchange_rate.saved",
            target=found,
            before=before,
            after={
                "pair": f"{from_currency}→{to_currency}",
                "date": date,
                "rate": rate_text(rate),
            },
        )
    return found, "updated" if before else "created"


def exchange_rates_delete(*, rate_ids: list[int], actor=None) -> int:
    """Delete rates, recording for each its pair, day and rate; answers how many went. A line
    already converted keeps its rate; later lines use whatever rate is left for their day."""
    with transaction.atomic():
        rates = list(
            ExchangeRate.objects.select_for_update().filter(pk__in=rate_ids).order_by("pk")
        )
        for rate in rates:
            event_record(
                actor=actor,
                verb="exchange_rate.deleted",
                target=rate,
                before={
                    "pair": f"{rate.from_currency}→{rate.to_currency}",
                    "date": rate.date,
                    "rate": rate_text(rate.rate),
                },
            )
        ExchangeRate.objects.filter(pk__in=[rate.pk for rate in rates]).delete()
    return len(rates)


def validate_rates(entries, c, context) -> list[dict]:
    if not isinstance(entries, list):
        c.fail("exchange_rates", "must be a list")
        return []
    out = []
    seen: dict[tuple, str] = {}
    for i, e in enumerate(entries):
        path = f"exchange_rates[{i}]"
        if not isinstance(e, dict):
            c.fail(path, "must be a mapping")
            continue
        item = {
            "from_currency": c.currency(e, "from", path),
            "to_currency": c.currency(e, "to", path),
            "date": c.date(e, "date", path),
            "rate": _rate(e, path, c),
        }
        if item["from_currency"] and item["from_currency"] == item["to_currency"]:
            c.fail(f"{path}.to", "must differ from `from`")
        key = (item["from_currency"], item["to_currency"], item["date"])
        if key in seen:
            c.fail(f"{path}.date", f"duplicate of {seen[key]}")
        elif all(key):
            seen[key] = path
        out.append(item)
    return out


def _rate(entry: dict, path: str, c) -> Decimal | None:
    value = entry.get("rate")
    where = f"{path}.rate"
    if value is None or value == "":
        c.fail(where, "required")
        return None
    if isinstance(value, float | bool):
        c.fail(where, 'not a decimal (write it as a string, e.g. "31.50")')
        return None
    try:
        rate = parse_decimal(value)
    except ValueError:
        c.fail(where, "not a decimal")
        return None
    if rate <= 0:
        c.fail(where, "must be greater than zero")
        return None
    if rate > MAX_RATE:
        c.fail(where, "too large")
        return None
    if rate.as_tuple().exponent < -RATE_PLACES:
        c.fail(where, f"more than {RATE_PLACES} decimal places")
        return None
    return rate


def apply_rates(items: list[dict], report: LoadReport, *, actor, today: dt.date) -> None:
    for item in items:
        _, outcome = exchange_rate_save(**item, actor=actor)
        report.count("exchange_rates", outcome)


RATE_SECTION = ExtraSection("exchange_rates", validate_rates, apply_rates)
