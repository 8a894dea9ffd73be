"""The checks of a sales CSV: decoding, the header, and each row on its own.

Every problem is reported against the column it is in, with a reason that names the real problem
(a ragged row, a NUL byte, a number too large to store, a date far from today), so one bad row
never costs the good rows of the same file."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from agreements.models import Product
from partners.models import Partner
from prm.core.money import MINOR_UNITS, minor_unit

from ..models import Sale
from ..rates import RateBook, convert, no_rate_reason

COLUMNS = [
    "external_id",
    "partner_code",
    "sku",
    "customer_name",
    "customer_tax_id",
    "segment",
    "territory",
    "invoice_date",
    "kind",
    "quantity",
    "net_amount",
    "currency",
    "original_external_id",
]
REQUIRED = {
    "external_id",
    "partner_code",
    "sku",
    "customer_name",
    "invoice_date",
    "kind",
    "quantity",
    "net_amount",
    "currency",
}
# The largest values the columns hold (Sale.net_amount: 14 digits, Sale.quantity: 12, 2 decimals).
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("9999999999.99")
QUANTITY_PLACES = Sale._meta.get_field("quantity").decimal_places
# The stored length of each text column, read from the model so the two never drift apart.
MAX_LENGTHS = {
    column: Sale._meta.get_field(field).max_length
    for column, field in (
        ("external_id", "external_id"),
        ("customer_name", "customer_name"),
        ("customer_tax_id", "customer_tax_id"),
        ("segment", "segment"),
        ("territory", "territory"),
    )
}
# The contract's date format only: fromisoformat alone also takes "20261005" or "2026-W41-1".
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
EXPONENT_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
# Characters no cell may hold: C0 controls other than tab and line breaks, DEL, C1 controls, and
# the lone surrogates that stand for bytes that are not UTF-8 (decoded with surrogateescape).
BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\udc80-\udcff]")


@dataclass
class Rejected:
    row: int
    column: str
    reason: str


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing of it is imported."""

    def __init__(self, message: str, column: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def decode(content: bytes) -> tuple[str, bool]:
    """The file's text and whether it holds bytes that are not UTF-8.

    UTF-8 with or without a byte-order mark, and UTF-16 with one (spreadsheets' "Unicode text"),
    are read; bytes that are not UTF-8 are kept as lone surrogates so the rows holding them are
    rejected one by one while the others are imported."""
    if not content.strip():
        raise ImportFileError("The file is empty.")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), False
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "The file starts as UTF-16 text but is not valid UTF-16; save it as CSV UTF-8."
            ) from exc
    try:
        return content.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return content.removeprefix(codecs.BOM_UTF8).decode("utf-8", "surrogateescape"), True


@contextlib.contextmanager
def _unlimited_fields() -> Iterator[None]:
    # The csv module refuses fields over 128 KB and stops the whole file; a long cell is one row's
    # problem, reported against its column, so the reader takes any length while it reads.
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def read_rows(text: str) -> tuple[list[str], list[tuple[list[str], int]]]:
    """The header and every record with the number of physical lines it spans."""
    reader = csv.reader(io.StringIO(text, newline=""))
    with _unlimited_fields():
        header = [cell.strip() for cell in next(reader, [])]
        rows = []
        line = reader.line_num
        for row in reader:
            rows.append((row, reader.line_num - line))
            line = reader.line_num
    return header, rows


def check_header(header: list[str]) -> dict[str, int]:
    """The position of each known column; a file whose header cannot be trusted is refused."""
    if any("\x00" in cell for cell in header):
        raise ImportFileError(
            "The header holds NUL bytes: the file looks like UTF-16 text without a byte-order "
            "mark. Save it as CSV UTF-8."
        )
    if any(_character_problem(cell) for cell in header):
        raise ImportFileError(
            "The header row is not UTF-8 text or holds control characters; "
            "save the file as CSV UTF-8."
        )
    for position, name in enumerate(header):
        if name and name in header[:position]:
            raise ImportFileError(f"The column {name} appears twice in the header.", column=name)
    missing = [
        c for c in COLUMNS if c not in header and (c in REQUIRED or c == "original_external_id")
    ]
    if missing:
        raise ImportFileError(f"Missing columns: {', '.join(missing)}.", column=missing[0])
    return {name: header.index(name) for name in COLUMNS if name in header}


def _character_problem(cell: str) -> str | None:
    found = BAD_CHARACTER.search(cell)
    if found is None:
        return None
    character = found.group()
    if character == "\x00":
        return "contains a NUL byte"
    if "\udc80" <= character <= "\udcff":
        return "not UTF-8 text (save the file as CSV UTF-8)"
    return f"contains a control character (U+{ord(character):04X})"


def _number(text: str, *, places: int, limit: Decimal, unit: str) -> tuple[Decimal | None, str]:
    """(value, "") for a positive plain number within the column's limits, else (None, reason)."""
    if not text:
        return None, "required"
    if not PLAIN_NUMBER.fullmatch(text):
        if GROUPED_NUMBER.fullmatch(text):
            return None, f"{text} has thousands separators; write {text.replace(',', '')}"
        if EXPONENT_NUMBER.fullmatch(text):
            return None, f"{text} is in exponent notation; write the number in full"
        return None, f"{text[:40]} is not a number"
    value = Decimal(text)
    if value < 0:
        return None, f"{text} is negative (a return is kind=return with positive figures)"
    if value == 0:
        return None, "must be greater than zero"
    if value > limit:
        return None, f"too large (at most {limit:,})"
    if value.as_tuple().exponent < -places:
        if places == 0:
            return None, f"{text} has decimals, and {unit} has none"
        return None, f"{text} has more than {places} decimals ({unit} has {places})"
    return value, ""


class RowChecker:
    """Checks one row against the reference data loaded once for the whole file."""

    def __init__(
        self, header: list[str], columns: dict[str, int], partners: QuerySet[Partner]
    ) -> None:
        self.header = header
        self.width = len(header)
        # Optional columns missing from the header read from one extra, always empty cell.
        index = {name: columns.get(name, self.width) for name in COLUMNS}
        self.indices = tuple(index[name] for name in COLUMNS)
        self.partners = {
            code: (pk, currency)
            for pk, code, currency in partners.values_list("pk", "code", "currency")
        }
        self.products = {
            sku: (pk, currency)
            for pk, sku, currency in Product.objects.values_list("pk", "sku", "currency")
        }
        self.rates = RateBook()
        today = timezone.localdate()
        self.past_days = settings.PRM_IMPORT_MAX_PAST_DAYS
        self.future_days = settings.PRM_IMPORT_MAX_FUTURE_DAYS
        self.earliest = today - dt.timedelta(days=self.past_days)
        self.latest = today + dt.timedelta(days=self.future_days)
        self.scan_characters = False

    def _shape(self, row: list[str], lines: int) -> Rejected | None:
        if len(row) != self.width:
            reason = f"row has {len(row)} fields, the header has {self.width}"
            if lines > 1 and len(row) < self.width:
                reason += f" (a quote opened in it is not closed before line {lines} of it)"
            elif lines > 1:
                reason += f" (it runs over {lines} lines: check its quotes)"
            return Rejected(0, "row", reason)
        if self.scan_characters:
            for position, cell in enumerate(row):
                problem = _character_problem(cell)
                if problem is not None:
                    return Rejected(0, self.header[position] or f"#{position + 1}", problem)
        return None

    def check(self, row: list[str], lines: int = 1) -> tuple[dict | None, Rejected | None, str]:
        """(values, None, original) for a good row, (None, problem, "") for a bad one."""
        problem = self._shape(row, lines)
        if problem is not None:
            return None, problem, ""
        row = [*row, ""]
        cells = dict(zip(COLUMNS, (row[i].strip() for i in self.indices), strict=True))
        for step in (self._identity, self._date_and_kind, self._figures, self._texts):
            problem = step(cells)
            if problem is not None:
                return None, problem, ""
        return cells["values"], None, cells["original_external_id"]

    def _identity(self, cells: dict) -> Rejected | None:
        external_id = cells["external_id"]
        if not external_id:
            return Rejected(0, "external_id", "required")
        limit = MAX_LENGTHS["external_id"]
        if len(external_id) > limit:
            return Rejected(0, "external_id", f"longer than {limit} characters")
        # A partner outside the uploader's reach reads exactly like one that does not exist.
        partner = self.partners.get(cells["partner_code"])
        if partner is None:
            return Rejected(0, "partner_code", f"unknown partner {cells['partner_code'][:40]!r}")
        product = self.products.get(cells["sku"])
        if product is None:
            return Rejected(0, "sku", f"unknown SKU {cells['sku'][:40]!r}")
        if not cells["customer_name"]:
            return Rejected(0, "customer_name", "required")
        cells["partner"], cells["product"] = partner, product
        return None

    def _date_and_kind(self, cells: dict) -> Rejected | None:
        text = cells["invoice_date"]
        try:
            if not ISO_DATE.fullmatch(text):
                raise ValueError
            invoice_date = dt.date.fromisoformat(text)
        except ValueError:
            return Rejected(0, "invoice_date", "not a date (YYYY-MM-DD)")
        if invoice_date < self.earliest:
            return Rejected(
                0, "invoice_date", f"{text} is more than {self.past_days} days before today"
            )
        if invoice_date > self.latest:
            return Rejected(
                0, "invoice_date", f"{text} is more than {self.future_days} days after today"
            )
        kind = cells["kind"]
        if kind not in ("sale", "return"):
            return Rejected(0, "kind", "must be sale or return")
        original = cells["original_external_id"]
        if kind == "return" and not original:
            return Rejected(0, "original_external_id", "required for a return")
        if kind == "sale" and original:
            return Rejected(0, "original_external_id", "only returns refer to an original sale")
        cells["date"] = invoice_date
        return None

    def _figures(self, cells: dict) -> Rejected | None:
        quantity, reason = _number(
            cells["quantity"], places=QUANTITY_PLACES, limit=MAX_QUANTITY, unit="a quantity"
        )
        if quantity is None:
            return Rejected(0, "quantity", reason)
        partner_currency = cells["partner"][1]
        currency = cells["currency"].upper()
        rate = None
        if currency != partner_currency:
            problem, rate = self._rate(cells, currency, partner_currency)
            if problem is not None:
                return problem
        # The amount may hold no more decimals than the minor unit of the invoice's currency.
        amount, reason = _number(
            cells["net_amount"],
            places=minor_unit(currency),
            limit=MAX_AMOUNT,
            unit=currency,
        )
        if amount is None:
            return Rejected(0, "net_amount", reason)
        cells["figures"] = (quantity, amount, currency, partner_currency, rate)
        return None

    def _rate(self, cells: dict, currency: str, partner_currency: str) -> tuple:
        """(problem, rate) of a line in another currency than its partner's: a sale converts at
        the latest rate on or before its date; a return at its original's rate, found later."""
        if currency not in MINOR_UNITS:
            reason = f"{currency[:8] or 'empty'}, but the partner is invoiced in {partner_currency}"
            return Rejected(0, "currency", reason), None
        if cells["kind"] == "return":
            return None, None
        rate = self.rates.latest(currency, partner_currency, cells["date"])
        if rate is None:
            reason = no_rate_reason(currency, partner_currency, cells["date"])
            return Rejected(0, "currency", reason), None
        return None, rate

    def _texts(self, cells: dict) -> Rejected | None:
        for column in ("territory", "segment", "customer_tax_id", "customer_name"):
            limit = MAX_LENGTHS[column]
            if len(cells[column]) > limit:
                return Rejected(0, column, f"longer than {limit} characters")
        quantity, amount, currency, partner_currency, rate = cells["figures"]
        cells["values"] = {
            "external_id": cells["external_id"],
            "partner_id": cells["partner"][0],
            "product_id": cells["product"][0],
            "customer_name": cells["customer_name"],
            "customer_tax_id": cells["customer_tax_id"],
            "segment": cells["segment"],
            "territory": cells["territory"],
            "invoice_date": cells["date"],
            "kind": cells["kind"],
            "quantity": quantity,
            "net_amount": amount,
            "currency": currency,
            **converted(amount, currency, partner_currency, rate),
        }
        return None


def converted(amount: Decimal, currency: str, partner_currency: str, rate) -> dict:
    """The stored figures of a line: converted into the partner's currency at `rate` when
    invoiced in another one (a return's rate, its original's, is set when that is known)."""
    if currency == partner_currency:
        return {
            "original_currency": "",
            "original_amount": None,
            "exchange_rate": None,
            "rate_date": None,
        }
    return {
        "net_amount": convert(amount, rate.rate, partner_currency) if rate else amount,
        "currency": partner_currency,
        "original_currency": currency,
        "original_amount": amount,
        "exchange_rate": rate.rate if rate else None,
        "rate_date": rate.date if rate else None,
    }
