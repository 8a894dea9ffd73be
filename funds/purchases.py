"""The purchases import (sell-in: what partners bought from the vendor), spec "Price protection".

Columns: invoice_number, line, partner_code, sku, invoice_date, quantity, unit_net_price, currency.
(invoice_number, line) is unique: a line already stored with the same figures is a duplicate, not
a second purchase. A bad row is rejected with its row number, column and reason; the good rows of
the same file are kept. The file is decoded and split into records by the sales import's checks
(UTF-8 with or without BOM, UTF-16 with BOM, rows holding bytes that are not UTF-8 rejected one by
one)."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agreements.models import Product
from commissions.rates import Rate, RateBook, convert, no_rate_reason
from commissions.services.import_checks import ImportFileError, Rejected, decode, read_rows
from partners.models import Partner
from partners.selectors import partner_visible_queryset
from prm.core.money import MINOR_UNITS, minor_unit

from .models import PurchaseImport, PurchaseInvoiceLine

COLUMNS = [
    "invoice_number",
    "line",
    "partner_code",
    "sku",
    "invoice_date",
    "quantity",
    "unit_net_price",
    "currency",
]
CHUNK = 2000
MAX_LINE = 2_147_483_647
MAX_QUANTITY = Decimal("9999999999.99")
MAX_PRICE = Decimal("999999999999.99")
INVOICE_LENGTH = PurchaseInvoiceLine._meta.get_field("invoice_number").max_length
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DIGITS = re.compile(r"[0-9]+")
PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\udc80-\udcff]")


@dataclass
class PurchaseImportResult:
    batch: PurchaseImport
    created: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _number(text: str, *, places: int, limit: Decimal, zero_ok: bool = False):
    if not text:
        return None, "required"
    if not PLAIN_NUMBER.fullmatch(text):
        if text.startswith("-") and PLAIN_NUMBER.fullmatch(text[1:]):
            return None, f"{text} is negative"
        return None, f"{text[:40]} is not a number"
    value = Decimal(text)
    if value == 0 and not zero_ok:
        return None, "must be greater than zero"
    if value > limit:
        return None, f"too large (at most {limit:,})"
    if value.as_tuple().exponent < -places:
        return None, f"{text} has more than {places} decimals"
    return value, ""


class _RowChecker:
    def __init__(self, *, partners, today: dt.date) -> None:
        self.partners = {p.code: p for p in partners}
        self.products = {p.sku: p for p in Product.objects.all()}
        self.earliest = today - dt.timedelta(days=settings.PRM_IMPORT_MAX_PAST_DAYS)
        self.latest = today + dt.timedelta(days=settings.PRM_IMPORT_MAX_FUTURE_DAYS)
        self.seen: dict[tuple[str, int], int] = {}
        self.rates = RateBook()

    def check(self, number: int, cells: list[str], positions: dict[str, int]):
        """(values, None) for a good row, (None, Rejected) for a bad one."""
        if len(cells) < max(positions.values()) + 1:
            return None, Rejected(number, "row", f"has {len(cells)} cells, the header has more")
        raw = {name: cells[i].strip() for name, i in positions.items()}
        for name in COLUMNS:
            if BAD_CHARACTER.search(raw[name]):
                return None, Rejected(number, name, "not UTF-8 text or holds control characters")
        invoice = raw["invoice_number"]
        if not invoice:
            return None, Rejected(number, "invoice_number", "required")
        if len(invoice) > INVOICE_LENGTH:
            return None, Rejected(number, "invoice_number", f"longer than {INVOICE_LENGTH}")
        if not DIGITS.fullmatch(raw["line"]) or not 0 < int(raw["line"]) <= MAX_LINE:
            return None, Rejected(number, "line", f"{raw['line'][:40]!r} is not a line number")
        line = int(raw["line"])
        partner = self.partners.get(raw["partner_code"])
        if partner is None:
            return None, Rejected(
                number, "partner_code", f"unknown partner {raw['partner_code'][:40]!r}"
            )
        product = self.products.get(raw["sku"])
        if product is None:
            return None, Rejected(number, "sku", f"unknown SKU {raw['sku'][:40]!r}")
        date, rejected = self._date(number, raw["invoice_date"])
        if rejected is not None:
            return None, rejected
        quantity, problem = _number(raw["quantity"], places=2, limit=MAX_QUANTITY)
        if problem:
            return None, Rejected(number, "quantity", problem)
        currency = raw["currency"]
        rate, reason = purchase_rate(self.rates, currency, partner.currency, date)
        if reason:
            return None, Rejected(number, "currency", reason)
        if partner.currency != product.currency:
            return None, Rejected(
                number, "currency", f"{product.sku} is priced in {product.currency}"
            )
        price, problem = _number(
            raw["unit_net_price"], places=minor_unit(currency), limit=MAX_PRICE, zero_ok=True
        )
        if problem:
            return None, Rejected(number, "unit_net_price", problem)
        key = (invoice, line)
        if key in self.seen:
            return None, Rejected(
                number, "line", f"invoice {invoice} line {line} repeats row {self.seen[key]}"
            )
        self.seen[key] = number
        return {
            "invoice_number": invoice,
            "line": line,
            "partner_id": partner.pk,
            "product_id": product.pk,
            "invoice_date": date,
            "quantity": quantity,
            "unit_net_price": price,
            "currency": currency,
            **purchase_converted(price, currency, partner.currency, rate),
        }, None

    def _date(self, number: int, text: str):
        if not ISO_DATE.fullmatch(text):
            return None, Rejected(number, "invoice_date", "not a date (YYYY-MM-DD)")
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:
            return None, Rejected(number, "invoice_date", f"{text} is not a date")
        if not self.earliest <= date <= self.latest:
            return None, Rejected(
                number,
                "invoice_date",
                f"{date.isoformat()} is outside {self.earliest.isoformat()} to "
                f"{self.latest.isoformat()}",
            )
        return date, None


def purchase_rate(
    rates: RateBook, currency: str, partner_currency: str, day: dt.date
) -> tuple[Rate | None, str]:
    """(rate, "") of a purchase line invoiced in `currency`: None when it is the partner's own,
    the latest rate into the partner's currency on or before its date otherwise; (None, reason)
    when there is none. The same rule as a sale's."""
    if currency == partner_currency:
        return None, ""
    if currency not in MINOR_UNITS:
        return None, f"{currency[:8]!r} is not the partner's currency ({partner_currency})"
    rate = rates.latest(currency, partner_currency, day)
    if rate is None:
        return None, no_rate_reason(currency, partner_currency, day)
    return rate, ""


def purchase_converted(
    price: Decimal, currency: str, partner_currency: str, rate: Rate | None
) -> dict:
    """The stored figures of a purchase line: its unit price converted into the partner's
    currency at `rate`, rounded half-up, with the invoice's price, currency and rate kept."""
    if rate is None:
        return {}
    return {
        "unit_net_price": convert(price, rate.rate, partner_currency),
        "currency": partner_currency,
        "original_currency": currency,
        "original_unit_net_price": price,
        "exchange_rate": rate.rate,
        "rate_date": rate.date,
    }


def _check_header(header: list[str]) -> dict[str, int]:
    for position, name in enumerate(header):
        if name and name in header[:position]:
            raise ImportFileError(f"The column {name} appears twice in the header.", column=name)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportFileError(f"Missing columns: {', '.join(missing)}.", column=missing[0])
    return {name: header.index(name) for name in COLUMNS}


def purchases_import(
    *, content: bytes, filename: str = "", actor=None, today: dt.date | None = None
) -> PurchaseImportResult:
    """Import a purchases CSV. `actor` None imports for every partner (a command); a user imports
    only for the partners they may see, any other partner's row is rejected as unknown."""
    today = today or timezone.localdate()
    batch = PurchaseImport.objects.create(
        file_name=filename[:255],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    result = PurchaseImportResult(batch=batch)
    try:
        text, _not_utf8 = decode(content)
        header, records = read_rows(text)
        positions = _check_header(header)
    except ImportFileError as exc:
        result.rejected.append(Rejected(0, exc.column, exc.message))
        _finish(result)
        return result
    except (csv.Error, ValueError) as exc:
        result.rejected.append(Rejected(0, "file", f"The file is not a readable CSV ({exc})."))
        _finish(result)
        return result
    partners = Partner.objects.all() if actor is None else partner_visible_queryset(user=actor)
    checker = _RowChecker(partners=partners, today=today)
    good: list[tuple[int, dict]] = []
    # Row numbers count records, the header being row 1.
    for number, (cells, _span) in enumerate(records, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values, rejected = checker.check(number, cells, positions)
        if rejected is not None:
            result.rejected.append(rejected)
        else:
            good.append((number, values))
    for start in range(0, len(good), CHUNK):
        _store(result, good[start : start + CHUNK], batch)
    _finish(result)
    return result


FIGURES = ("partner_id", "product_id", "invoice_date", "quantity", "unit_net_price", "currency")
# A line is the same line again when its invoice's own figures are (whatever rate converted it).
INVOICED = ("original_unit_net_price", "original_currency")


def _invoiced(values: dict) -> tuple:
    if values.get("original_currency"):
        return (values["original_unit_net_price"], values["original_currency"])
    return (values["unit_net_price"], values["currency"])


@transaction.atomic
def _store(result: PurchaseImportResult, rows: list[tuple[int, dict]], batch) -> None:
    invoices = {values["invoice_number"] for _n, values in rows}
    stored = {
        (s["invoice_number"], s["line"]): s
        for s in PurchaseInvoiceLine.objects.filter(invoice_number__in=invoices).values(
            "invoice_number", "line", *FIGURES, *INVOICED
        )
    }
    new = []
    for number, values in rows:
        existing = stored.get((values["invoice_number"], values["line"]))
        if existing is None:
            new.append(PurchaseInvoiceLine(batch=batch, **values))
        elif all(existing[f] == values[f] for f in FIGURES[:4]) and _invoiced(
            existing
        ) == _invoiced(values):
            result.duplicates += 1
        else:
            result.rejected.append(
                Rejected(
                    number,
                    "line",
                    f"invoice {values['invoice_number']} line {values['line']} was imported "
                    "before with other figures",
                )
            )
    created = PurchaseInvoiceLine.objects.bulk_create(new, ignore_conflicts=True)
    result.created += len(created)


def _finish(result: PurchaseImportResult) -> None:
    result.rejected.sort(key=lambda r: r.row)
    batch = result.batch
    batch.created = result.created
    batch.duplicates = result.duplicates
    batch.rejected_count = len(result.rejected)
    batch.rejected = [
        {"row": r.row, "column": r.column, "reason": r.reason} for r in result.rejected[:1000]
    ]
    batch.save(update_fields=["created", "duplicates", "rejected_count", "rejected", "updated_at"])
