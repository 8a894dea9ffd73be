"""Formatting for the partner pages: money in its currency, percentages.

Amounts are grouped by thousands with commas in both languages, as invoices in Taiwan and Hong
Kong write them (Django's zh-Hant number format has no grouping separator).
"""

from decimal import Decimal

from django import template

from prm.core.money import minor_unit, quantize

register = template.Library()


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@register.filter
def money(amount, currency: str = ""):
    """`{{ amount|money:"TWD" }}` → "TWD 125,000.00", rounded half-up to the currency's minor
    unit. Empty for no amount."""
    if amount is None or amount == "":
        return ""
    value = _decimal(amount)
    if currency:
        value = quantize(value, currency)
    places = minor_unit(currency) if currency else 2
    text = f"{value:,.{places}f}"
    return f"{currency} {text}" if currency else text


@register.filter
def percent(value):
    """`{{ 87.46|percent }}` → "87.5%"; empty for no value."""
    if value is None or value == "":
        return ""
    return f"{_decimal(value):,.1f}%"
