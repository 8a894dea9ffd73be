"""Money helpers: Decimal only, quantised to the currency's minor unit with ROUND_HALF_UP."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies the channel trades in; others default to 2.
MINOR_UNITS: dict[str, int] = {
    "TWD": 2,
    "USD": 2,
    "HKD": 2,
    "CNY": 2,
    "EUR": 2,
    "SGD": 2,
    "JPY": 0,
    "KRW": 0,
}

CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]


def minor_unit(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), 2)


# The exponent each currency's amounts are rounded to (Decimal("0.01") for TWD).
_EXPONENTS: dict[str, Decimal] = {
    code: Decimal(1).scaleb(-digits) for code, digits in MINOR_UNITS.items()
}


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round `amount` half-up to the minor unit of `currency`."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"money must be Decimal, not {type(amount).__name__}")
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        exponent = Decimal(1).scaleb(-minor_unit(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def parse_decimal(value: object) -> Decimal:
    """Parse a decimal from text without ever going through float."""
    if isinstance(value, float):
        raise TypeError("money must not be given as float")
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a decimal: {value!r}")
    return result


def format_percent(value: Decimal) -> str:
    """Percentages as plain strings: "25", "12.5", "33.33" (never exponent notation)."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_amount(value: Decimal, currency: str) -> str:
    """An amount as text at its currency's minor unit: "12000.00", or "1200" for JPY."""
    return format(quantize(value, currency), "f")
