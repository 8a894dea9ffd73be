"""Sales imports: each row is checked on its own; bad rows are listed with their number, column
and reason, good rows are kept, and a row already imported (same external_id) is a duplicate."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import psycopg2
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agreements.models import Product
from partners.models import Partner
from prm.core.queue import enqueue_on_commit

from .. import periods
from ..models import ImportBatch, ImportRejection, Sale
from .recompute import PICKUP_GRACE, RUNNING_TIMEOUT, recompute_request_create

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
CHUNK = 5000  # rows per lookup query
INSERT_CHUNK = 50000  # rows per COPY
# The largest values the columns hold (Sale.net_amount: 14 digits, Sale.quantity: 12, 2 decimals).
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("9999999999.99")
# The contract's date format only: fromisoformat alone also takes "20261005" or "2026-W41-1".
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Rejected:
    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    batch: ImportBatch
    created: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        return None
    return value


class _RowChecker:
    """Validates one row against the reference data loaded once for the whole file."""

    def __init__(self, columns: dict[str, int]) -> None:
        # Columns missing from the header read from one extra, always empty cell.
        self.width = max(columns.values(), default=-1) + 2
        missing = self.width - 1
        index = {name: columns.get(name, missing) for name in COLUMNS}
        self.indices = tuple(index[name] for name in COLUMNS)
        self.partners = {
            code: (pk, currency)
            for pk, code, currency in Partner.objects.values_list("pk", "code", "currency")
        }
        self.products = {
            sku: (pk, currency)
            for pk, sku, currency in Product.objects.values_list("pk", "sku", "currency")
        }

    def check(self, row: list[str]) -> tuple[dict | None, Rejected | None, str]:
        """(values, None, "") for a good row, (None, problem, "") for a bad one."""
        if len(row) < self.width:
            row = row + [""] * (self.width - len(row))
        (
            external_id,
            partner_code,
            sku,
            customer,
            tax_id,
            segment,
            territory,
            date_text,
            kind,
            quantity_text,
            amount_text,
            currency,
            original,
        ) = (row[i].strip() for i in self.indices)
        if not external_id:
            return None, Rejected(0, "external_id", "required"), ""
        if len(external_id) > 64:
            return None, Rejected(0, "external_id", "longer than 64 characters"), ""
        partner = self.partners.get(partner_code)
        if partner is None:
            return None, Rejected(0, "partner_code", f"unknown partner {partner_code!r}"), ""
        product = self.products.get(sku)
        if product is None:
            return None, Rejected(0, "sku", f"unknown SKU {sku!r}"), ""
        if not customer:
            return None, Rejected(0, "customer_name", "required"), ""
        try:
            if not ISO_DATE.fullmatch(date_text):
                raise ValueError
            invoice_date = dt.date.fromisoformat(date_text)
        except ValueError:
            return None, Rejected(0, "invoice_date", "not a date (YYYY-MM-DD)"), ""
        if kind not in ("sale", "return"):
            return None, Rejected(0, "kind", "must be sale or return"), ""
        quantity = _decimal(quantity_text)
        if quantity is None or quantity <= 0 or quantity > MAX_QUANTITY:
            return None, Rejected(0, "quantity", "not a positive number"), ""
        amount = _decimal(amount_text)
        # The contract: quantities and amounts are positive.
        if amount is None or amount <= 0 or amount > MAX_AMOUNT:
            return (
                None,
                Rejected(0, "net_amount", "not a positive amount with at most 2 decimals"),
                "",
            )
        currency = currency.upper()
        if currency != partner[1]:
            return (
                None,
                Rejected(
                    0,
                    "currency",
                    f"{currency or 'empty'}, but the partner is invoiced in {partner[1]}",
                ),
                "",
            )
        if kind == "return" and not original:
            return None, Rejected(0, "original_external_id", "required for a return"), ""
        if kind == "sale" and original:
            return (
                None,
                Rejected(0, "original_external_id", "only returns refer to an original sale"),
                "",
            )
        for column, value, limit in (
            ("territory", territory, 10),
            ("segment", segment, 32),
            ("customer_tax_id", tax_id, 32),
            ("customer_name", customer, 255),
        ):
            if len(value) > limit:
                return None, Rejected(0, column, f"longer than {limit} characters"), ""
        return (
            {
                "external_id": external_id,
                "partner_id": partner[0],
                "product_id": product[0],
                "customer_name": customer,
                "customer_tax_id": tax_id,
                "segment": segment,
                "territory": territory,
                "invoice_date": invoice_date,
                "kind": kind,
                "quantity": quantity,
                "net_amount": amount,
                "currency": currency,
            },
            None,
            original,
        )


def _existing(external_ids: Iterable[str]) -> dict[str, tuple]:
    ids = list(external_ids)
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), CHUNK):
        for row in Sale.objects.filter(external_id__in=ids[start : start + CHUNK]).values_list(
            "external_id", "pk", "partner_id", "product_id", "invoice_date", "kind"
        ):
            found[row[0]] = row[1:]
    return found


def sales_import(
    *,
    content: bytes,
    filename: str,
    actor=None,
    batch: ImportBatch | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a sales CSV. Good rows are stored even when others are rejected."""
    if batch is None:
        batch = ImportBatch.objects.create(
            filename=filename[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    result = ImportResult(batch=batch)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _fail(result, "The file is not UTF-8 text.")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [
        c for c in COLUMNS if c not in header and (c in REQUIRED or c == "original_external_id")
    ]
    if missing:
        return _fail(result, f"Missing columns: {', '.join(missing)}.", column=missing[0])
    rows = list(reader)
    total = len(rows)
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=total)

    checker = _RowChecker({name: header.index(name) for name in COLUMNS if name in header})
    good: list[tuple[int, dict, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):  # the header is row 1
        if progress is not None and number % CHUNK == 0:
            progress(number // 2, total)
        if not any(cell.strip() for cell in row):
            continue  # a blank line is not a row; numbering still counts it
        values, problem, original = checker.check(row)
        if problem is not None:
            problem.row = number
            result.rejected.append(problem)
            continue
        if values["external_id"] in seen:
            result.duplicates += 1
            continue
        seen[values["external_id"]] = number
        good.append((number, values, original))

    existing = _existing(seen)
    fresh = [(n, v, o) for n, v, o in good if v["external_id"] not in existing]
    result.duplicates += len(good) - len(fresh)

    # Returns need their original: in the database or among this file's sales.
    in_file = {v["external_id"]: v for _, v, _ in fresh if v["kind"] == "sale"}
    originals = _existing({o for _, v, o in fresh if v["kind"] == "return"} - set(in_file))
    sales, returns = [], []
    for number, values, original in fresh:
        if values["kind"] == "sale":
            sales.append(values)
            continue
        ref = originals.get(original)
        if ref is not None:
            _, o_partner, o_product, o_date, o_kind = ref
        elif original in in_file:
            o = in_file[original]
            o_partner, o_product, o_date, o_kind = (
                o["partner_id"],
                o["product_id"],
                o["invoice_date"],
                o["kind"],
            )
        else:
            result.rejected.append(
                Rejected(number, "original_external_id", f"no sale {original!r}")
            )
            continue
        if o_kind != "sale":
            problem = "the original is itself a return"
        elif o_partner != values["partner_id"]:
            problem = "the original sale belongs to another partner"
        elif o_product != values["product_id"]:
            problem = "the original sale is of another SKU"
        elif values["invoice_date"] < o_date:
            problem = "dated before the original sale"
        else:
            problem = ""
        if problem:
            result.rejected.append(Rejected(number, "original_external_id", problem))
            continue
        returns.append((values, original))

    months: set[tuple[str, int]] = set()
    with transaction.atomic():
        for start in range(0, len(sales), INSERT_CHUNK):
            chunk = sales[start : start + INSERT_CHUNK]
            _insert(chunk, batch_id=batch.pk)
            if progress is not None:
                progress(total // 2 + (start + len(chunk)) // 2, total)
        ids = _existing({o for _, o in returns})
        _insert([{**v, "original_id": ids[o][0]} for v, o in returns], batch_id=batch.pk)
        result.created = len(sales) + len(returns)
        for values in sales + [v for v, _ in returns]:
            months.add((periods.month_of(values["invoice_date"]), values["partner_id"]))
        result.rejected.sort(key=lambda r: (r.row, r.column))
        ImportRejection.objects.bulk_create(
            [
                ImportRejection(
                    batch=batch, row_number=r.row, column=r.column, reason=r.reason[:255]
                )
                for r in result.rejected
            ],
            batch_size=CHUNK,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.DONE,
            processed_rows=total,
            created_count=result.created,
            duplicate_count=result.duplicates,
            rejected_count=len(result.rejected),
            finished_at=timezone.now(),
        )
        for label in sorted({m for m, _ in months}):
            recompute_request_create(period=label, reason="sales imported")
        # Imported here: disputes.services imports the commissions services.
        from disputes.services import channel_conflict_cases_open

        channel_conflict_cases_open(sales=sales)
    batch.refresh_from_db()
    result.batch = batch
    return result


SALE_COLUMNS = [
    "external_id",
    "partner_id",
    "product_id",
    "customer_name",
    "customer_tax_id",
    "segment",
    "territory",
    "invoice_date",
    "kind",
    "quantity",
    "net_amount",
    "currency",
    "original_id",
    "batch_id",
]


TEXT_COLUMNS = "external_id, customer_name, customer_tax_id, segment, territory, kind, currency"


def _insert(rows: list[dict], *, batch_id: int) -> None:
    """Insert checked rows; a row whose external_id arrived meanwhile is skipped, not doubled.

    PostgreSQL gets them through COPY into a temporary table (the bulk path that keeps a
    100,000-row file to a few seconds); other databases through bulk_create."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Sale.objects.bulk_create(
            [Sale(batch_id=batch_id, **row) for row in rows],
            ignore_conflicts=True,
            batch_size=CHUNK,
        )
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [row[c] for c in SALE_COLUMNS[:-2]] + [row.get("original_id") or r"\N", batch_id]
        )
    buffer.seek(0)
    table = Sale._meta.db_table
    columns = ", ".join(SALE_COLUMNS)
    # Only original_id may be NULL: a text cell reading \N (the NULL marker) stays text.
    options = f"FORMAT csv, NULL '\\N', FORCE_NOT_NULL ({TEXT_COLUMNS})"
    with connection.cursor() as cursor:
        try:
            # The rows were checked against the database a moment ago: copy them straight in.
            with transaction.atomic():
                cursor.cursor.copy_expert(
                    f"COPY {table} ({columns}) FROM STDIN WITH ({options})", buffer
                )
            return
        except psycopg2.IntegrityError:
            # Another import added some of these external_ids meanwhile: skip those rows.
            buffer.seek(0)
        cursor.execute("DROP TABLE IF EXISTS sale_import")
        cursor.execute(
            f"CREATE TEMP TABLE sale_import ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.cursor.copy_expert(
            f"COPY sale_import ({columns}) FROM STDIN WITH ({options})", buffer
        )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM sale_import "  # noqa: S608
            "ON CONFLICT (external_id) DO NOTHING"
        )


def _fail(result: ImportResult, message: str, column: str = "") -> ImportResult:
    result.rejected.append(Rejected(1, column or "file", message))
    ImportRejection.objects.create(
        batch=result.batch, row_number=1, column=column or "file", reason=message[:255]
    )
    ImportBatch.objects.filter(pk=result.batch.pk).update(
        status=ImportBatch.Status.FAILED,
        error=message,
        rejected_count=1,
        finished_at=timezone.now(),
    )
    result.batch.refresh_from_db()
    return result


def sales_import_enqueue(*, upload, actor, storage) -> ImportBatch:
    """Store an uploaded file and queue its import; the page follows the batch's progress."""
    content = upload.read()
    name = storage.save(f"imports/{uuid.uuid4().hex}.csv", ContentFile(content))
    batch = ImportBatch.objects.create(
        filename=upload.name[:255],
        stored_file=name,
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=actor,
    )
    from ..tasks import sales_import_task

    enqueue_on_commit(sales_import_task, batch.pk)
    return batch


def sales_import_run(*, batch_id: int, storage) -> ImportResult | None:
    """Run a queued import once (a second delivery of the task finds it no longer pending)."""
    if not ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING, updated_at=timezone.now()
    ):
        return None
    batch = ImportBatch.objects.get(pk=batch_id)
    with storage.open(batch.stored_file, "rb") as handle:
        content = handle.read()

    def progress(done: int, total: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(
            processed_rows=done, total_rows=total, updated_at=timezone.now()
        )

    return sales_import(content=content, filename=batch.filename, batch=batch, progress=progress)


def sales_imports_sweep(*, storage, now: dt.datetime | None = None) -> int:
    """Run the uploads no worker picked up (the broker was down) and those whose worker died.

    An import writes its rows, rejections and final status in one transaction, so a batch left
    running by a dead worker wrote nothing and is safe to run again.
    """
    now = now or timezone.now()
    dead = list(
        ImportBatch.objects.filter(
            status=ImportBatch.Status.RUNNING, updated_at__lt=now - RUNNING_TIMEOUT
        ).values_list("pk", flat=True)
    )
    ImportBatch.objects.filter(pk__in=dead, status=ImportBatch.Status.RUNNING).update(
        status=ImportBatch.Status.PENDING, processed_rows=0, updated_at=now
    )
    stale = (
        ImportBatch.objects.filter(status=ImportBatch.Status.PENDING)
        .filter(Q(created_at__lt=now - PICKUP_GRACE) | Q(pk__in=dead))
        .exclude(stored_file="")
    )
    count = 0
    for batch_id in stale.order_by("created_at").values_list("pk", flat=True):
        if sales_import_run(batch_id=batch_id, storage=storage) is not None:
            count += 1
    return count
