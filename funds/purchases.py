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
import hashlib
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agreements.models import Product
from commissions.rates import Rate, RateBook, convert, no_rate_reason
from commissions.services.import_checks import ImportFileError, Rejected, decode, read_rows
from commissions.services.imports import (
    MAX_ATTEMPTS,
    TRANSIENT_ERRORS,
    batch_progress,
    gave_up,
    import_size,
    store_upload,
)
from commissions.services.recompute import PICKUP_GRACE, RUNNING_TIMEOUT
from partners.models import Partner
from partners.selectors import partner_visible_queryset
from prm.core.money import MINOR_UNITS, minor_unit
from prm.core.queue import enqueue_on_commit

from .models import PurchaseImport, PurchaseInvoiceLine, PurchaseRejection
from .purchase_sql import PurchaseSqlImport

logger = logging.getLogger(__name__)

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
# PostgreSQL checks a file set-based (purchase_sql); False runs the Python checker there too (the
# path SQLite always takes), which the differential tests compare it with.
SQL_CHECKS = True
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
    timings: dict[str, float] = field(default_factory=dict)


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
        """(values, None) for a good row, (None, Rejected) for a bad one, a line met earlier in
        the file included."""
        values, rejected = self.check_row(number, cells, positions)
        if rejected is not None:
            return None, rejected
        key = (values["invoice_number"], values["line"])
        if key in self.seen:
            return None, Rejected(
                number, "line", f"invoice {key[0]} line {key[1]} repeats row {self.seen[key]}"
            )
        self.seen[key] = number
        return values, None

    def check_row(self, number: int, cells: list[str], positions: dict[str, int]):
        """(values, None) for a row good on its own, (None, Rejected) for a bad one."""
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
        # A string of digits too long to be a line number is not handed to int().
        if (
            not DIGITS.fullmatch(raw["line"])
            or len(raw["line"].lstrip("0")) > 10
            or not 0 < int(raw["line"]) <= MAX_LINE
        ):
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


def _partners_for(actor):
    """Every partner for the system (a command); the uploader's reach otherwise."""
    return Partner.objects.all() if actor is None else partner_visible_queryset(user=actor)


def purchases_import(
    *,
    content: bytes | None = None,
    file: IO[bytes] | None = None,
    filename: str = "",
    actor=None,
    today: dt.date | None = None,
    batch: PurchaseImport | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PurchaseImportResult:
    """Import a purchases CSV given as `content` or as a binary `file` read block by block.
    `actor` None imports for every partner (a command); a user imports only for the partners
    they may see, any other partner's row is rejected as unknown.

    PostgreSQL streams the file into a staging table and checks it set-based (`purchase_sql`);
    other databases, and SQL_CHECKS False, take the Python checker below, with the same
    outcome."""
    today = today or timezone.localdate()
    if batch is None:
        batch = PurchaseImport.objects.create(
            file_name=filename[:255],
            sha256=hashlib.sha256(content).hexdigest() if content is not None else "",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    PurchaseImport.objects.filter(pk=batch.pk).update(
        status=PurchaseImport.Status.RUNNING, updated_at=timezone.now()
    )
    result = PurchaseImportResult(batch=batch)
    try:
        if connection.vendor == "postgresql" and SQL_CHECKS:
            handle = file if file is not None else io.BytesIO(content or b"")
            return _import_sql(result, handle=handle, actor=actor, today=today, progress=progress)
        if content is None:
            content = file.read() if file is not None else b""
        return _import(result, content=content, actor=actor, today=today)
    except ImportFileError as exc:
        return _fail(result, exc.message, column=exc.column)
    except (csv.Error, ValueError) as exc:
        return _fail(result, f"The file is not a readable CSV ({exc}).")
    except TRANSIENT_ERRORS as exc:
        if batch.stored_file:
            raise  # an upload: purchases_import_run puts it back for another attempt
        return _fail(result, f"The import stopped and stored nothing ({str(exc).strip()[:300]}).")
    except Exception as exc:
        logger.exception("purchases import %s stopped", batch.pk)
        return _fail(
            result,
            f"The import stopped on an unexpected error and stored nothing "
            f"({type(exc).__name__}: {str(exc).strip()[:300]}).",
        )


def _import_sql(result, *, handle, actor, today, progress) -> PurchaseImportResult:
    batch = result.batch

    def finish(job: PurchaseSqlImport) -> None:
        result.created, result.duplicates, result.rejected = (
            job.created,
            job.duplicates,
            job.rejected,
        )
        _done(batch, result, rows=job.staged.records)

    job = PurchaseSqlImport(
        batch=batch, partners=_partners_for(actor), today=today, progress=progress
    )
    job.run(handle, finish=finish, size=import_size(handle))
    result.timings = job.timings
    batch.refresh_from_db()
    result.batch = batch
    return result


def _import(result, *, content: bytes, actor, today: dt.date) -> PurchaseImportResult:
    batch = result.batch
    text, _not_utf8 = decode(content)
    header, records = read_rows(text)
    positions = _check_header(header)
    PurchaseImport.objects.filter(pk=batch.pk).update(total_rows=len(records))
    checker = _RowChecker(partners=_partners_for(actor), today=today)
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
    with transaction.atomic():
        for start in range(0, len(good), CHUNK):
            _store(result, good[start : start + CHUNK], batch)
        result.rejected.sort(key=lambda r: r.row)
        PurchaseRejection.objects.bulk_create(
            [
                PurchaseRejection(
                    batch=batch, row_number=r.row, column=r.column, reason=r.reason[:255]
                )
                for r in result.rejected
            ],
            batch_size=CHUNK,
        )
        _done(batch, result, rows=len(records))
    batch.refresh_from_db()
    result.batch = batch
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
    """Store checked rows: a line already stored with the same figures is a duplicate, with
    other figures it is rejected."""
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


def _done(batch: PurchaseImport, result: PurchaseImportResult, *, rows: int) -> None:
    PurchaseImport.objects.filter(pk=batch.pk).update(
        status=PurchaseImport.Status.DONE,
        total_rows=rows,
        processed_rows=rows,
        created=result.created,
        duplicates=result.duplicates,
        rejected_count=len(result.rejected),
        error="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _fail(result: PurchaseImportResult, message: str, column: str = "") -> PurchaseImportResult:
    """End the batch failed with its reason (reported as row 0); nothing of the file is
    stored."""
    result.created, result.duplicates = 0, 0
    result.rejected = [Rejected(0, column or "file", message)]
    with transaction.atomic():
        PurchaseRejection.objects.filter(batch=result.batch).delete()
        PurchaseRejection.objects.create(
            batch=result.batch, row_number=0, column=column or "file", reason=message[:255]
        )
        PurchaseImport.objects.filter(pk=result.batch.pk).update(
            status=PurchaseImport.Status.FAILED,
            error=message,
            created=0,
            duplicates=0,
            rejected_count=1,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    result.batch.refresh_from_db()
    return result


def purchases_import_enqueue(*, upload, actor, storage) -> PurchaseImport:
    """Store an uploaded file chunk by chunk and queue its import; the page follows it."""
    name, digest = store_upload(upload, storage=storage, folder="purchase-imports")
    batch = PurchaseImport.objects.create(
        file_name=upload.name[:255], stored_file=name, sha256=digest, created_by=actor
    )
    from .tasks import purchases_import_task

    enqueue_on_commit(purchases_import_task, batch.pk)
    return batch


def purchases_import_run(*, batch_id: int, storage) -> PurchaseImportResult | None:
    """Run a queued import once (a second delivery finds it no longer pending). A run stopped
    by a lost connection puts the batch back, or ends it failed after MAX_ATTEMPTS."""
    if not PurchaseImport.objects.filter(
        pk=batch_id, status=PurchaseImport.Status.PENDING, attempts__lt=MAX_ATTEMPTS
    ).update(
        status=PurchaseImport.Status.RUNNING,
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    ):
        return None
    batch = PurchaseImport.objects.select_related("created_by").get(pk=batch_id)
    progress = batch_progress(PurchaseImport, batch_id)
    try:
        handle = storage.open(batch.stored_file, "rb")
    except OSError as exc:
        return _fail(
            PurchaseImportResult(batch=batch), f"The uploaded file cannot be read ({exc})."
        )
    try:
        with handle:
            return purchases_import(
                file=handle,
                filename=batch.file_name,
                actor=batch.created_by,
                batch=batch,
                progress=progress,
            )
    except TRANSIENT_ERRORS as exc:
        if batch.attempts >= MAX_ATTEMPTS:
            _fail(PurchaseImportResult(batch=batch), gave_up(batch.attempts, exc))
        else:
            PurchaseImport.objects.filter(pk=batch.pk, status=PurchaseImport.Status.RUNNING).update(
                status=PurchaseImport.Status.PENDING, processed_rows=0, updated_at=timezone.now()
            )
        raise


def purchases_imports_sweep(*, storage, now: dt.datetime | None = None) -> int:
    """Run the uploads no worker picked up (the broker was down) and those whose worker died,
    fewest attempts first; a batch left running by a dead worker wrote nothing (an import
    writes in one transaction), and one that fails does not stop the others."""
    now = now or timezone.now()
    dead = PurchaseImport.objects.filter(
        status=PurchaseImport.Status.RUNNING, updated_at__lt=now - RUNNING_TIMEOUT
    )
    for batch in dead.filter(attempts__gte=MAX_ATTEMPTS):
        _fail(PurchaseImportResult(batch=batch), gave_up(batch.attempts, "its worker stopped"))
    for batch in dead.filter(stored_file=""):
        _fail(
            PurchaseImportResult(batch=batch),
            "The import stopped before finishing (its process ended) and stored nothing.",
        )
    dead_ids = list(dead.values_list("pk", flat=True))
    PurchaseImport.objects.filter(pk__in=dead_ids, status=PurchaseImport.Status.RUNNING).update(
        status=PurchaseImport.Status.PENDING, processed_rows=0, updated_at=now
    )
    stale = (
        PurchaseImport.objects.filter(status=PurchaseImport.Status.PENDING)
        .filter(Q(created_at__lt=now - PICKUP_GRACE) | Q(pk__in=dead_ids))
        .exclude(stored_file="")
        .order_by("attempts", "created_at")
    )
    count = 0
    for batch_id in list(stale.values_list("pk", flat=True)):
        try:
            if purchases_import_run(batch_id=batch_id, storage=storage) is not None:
                count += 1
        except Exception:
            logger.exception("purchases import %s stopped; the sweep goes on", batch_id)
    return count
