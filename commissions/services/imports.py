"""Sales imports: each row is checked on its own; bad rows are listed with their number, column
and reason, good rows are kept, and a row already imported (same external_id) is a duplicate.

An import that cannot finish ends `failed` with its reason; it is tried at most MAX_ATTEMPTS
times, and one failing batch never holds up the others."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

import psycopg2
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from partners.models import Partner
from partners.selectors import partner_visible_queryset
from prm.core.money import minor_unit
from prm.core.queue import enqueue_on_commit

from .. import periods
from ..models import ImportBatch, ImportRejection, Sale
from ..rates import convert
from ..signals import sales_imported
from .import_checks import (
    BAD_CHARACTER,
    COLUMNS,
    ImportFileError,
    Rejected,
    RowChecker,
    check_header,
    decode,
    read_rows,
)
from .import_sql import SqlImport
from .recompute import PICKUP_GRACE, RUNNING_TIMEOUT, recompute_request_create

__all__ = ["COLUMNS", "ImportResult", "Rejected", "sales_import"]

logger = logging.getLogger(__name__)

CHUNK = 5000  # rows per lookup query
INSERT_CHUNK = 50000  # rows per COPY
# A batch is tried this many times (a worker that died, a database that went away) before it
# ends failed; a file that is bad in itself fails at once.
MAX_ATTEMPTS = 3
# PostgreSQL checks a file set-based (import_sql); False runs the Python checker there too (the
# portable path SQLite always takes), which the differential tests compare it with.
SQL_CHECKS = True
# Errors of the connection rather than of the file: the batch may succeed on another attempt.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


@dataclass
class ImportResult:
    batch: ImportBatch
    created: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _existing(external_ids: Iterable[str]) -> dict[str, tuple]:
    ids = list(external_ids)
    found: dict[str, tuple] = {}
    for start in range(0, len(ids), CHUNK):
        for row in Sale.objects.filter(external_id__in=ids[start : start + CHUNK]).values_list(
            "external_id",
            "pk",
            "partner_id",
            "product_id",
            "invoice_date",
            "kind",
            "currency",
            "original_currency",
            "exchange_rate",
            "rate_date",
        ):
            found[row[0]] = row[1:]
    return found


def _partners_for(actor) -> QuerySet[Partner]:
    """The partners an import may write for: every partner for the system (a command), the
    uploader's own reach otherwise (the partner-visibility rule of the pages)."""
    if actor is None:
        return Partner.objects.all()
    return partner_visible_queryset(user=actor)


def sales_import(
    *,
    filename: str,
    content: bytes | None = None,
    file: IO[bytes] | None = None,
    actor=None,
    batch: ImportBatch | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a sales CSV, given as `content` or as a binary `file` read block by block. Good
    rows are stored even when others are rejected.

    `actor` None imports as the system (every partner); a user imports only for the partners
    they may see, and a row for any other partner is rejected as an unknown partner."""
    if batch is None:
        batch = ImportBatch.objects.create(
            filename=filename[:255],
            sha256=hashlib.sha256(content).hexdigest() if content is not None else "",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, updated_at=timezone.now()
    )
    result = ImportResult(batch=batch)
    try:
        if connection.vendor == "postgresql" and SQL_CHECKS:
            handle = file if file is not None else io.BytesIO(content or b"")
            return _import_sql(result, handle=handle, actor=actor, progress=progress)
        if content is None:
            content = file.read() if file is not None else b""
        return _import(result, content=content, actor=actor, progress=progress)
    except ImportFileError as exc:
        return _fail(result, exc.message, column=exc.column)
    except TRANSIENT_ERRORS as exc:
        if batch.stored_file:
            raise  # an upload: sales_import_run puts it back for another attempt
        # A file given directly (command, API) has no later attempt: it ends failed now.
        return _fail(result, f"The import stopped and stored nothing ({str(exc).strip()[:300]}).")
    except Exception as exc:
        logger.exception("sales import %s stopped", batch.pk)
        return _fail(
            result,
            f"The import stopped on an unexpected error and stored nothing "
            f"({type(exc).__name__}: {str(exc).strip()[:300]}).",
        )


def _import_sql(
    result: ImportResult,
    *,
    handle: IO[bytes],
    actor,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    """PostgreSQL: the file streamed into a staging table and checked set-based
    (`import_sql`), with the same checks, reasons and counts as the Python checker below."""
    batch = result.batch

    def finish(job: SqlImport) -> None:
        result.created, result.duplicates, result.rejected = (
            job.created,
            job.duplicates,
            job.rejected,
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.DONE,
            processed_rows=job.staged.records,
            created_count=result.created,
            duplicate_count=result.duplicates,
            rejected_count=len(result.rejected),
            error="",
            finished_at=timezone.now(),
        )
        for label in job.months():
            recompute_request_create(period=label, reason="sales imported")
        job.signal()

    job = SqlImport(batch=batch, partners=_partners_for(actor), progress=progress)
    job.run(handle, finish=finish, size=import_size(handle))
    result.timings = job.timings
    batch.refresh_from_db()
    result.batch = batch
    return result


def import_size(handle: IO[bytes]) -> int | None:
    """The bytes left to read in `handle`, for progress reports; None when it cannot tell."""
    size = getattr(handle, "size", None)
    if size:
        return size
    try:
        position = handle.tell()
        size = handle.seek(0, io.SEEK_END)
        handle.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return size - position


def _check_rows(
    rows: list[tuple[list[str], int]],
    checker: RowChecker,
    result: ImportResult,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[tuple[int, dict, str]], dict[str, int]]:
    total = len(rows)
    good: list[tuple[int, dict, str]] = []
    seen: dict[str, int] = {}
    for number, (row, lines) in enumerate(rows, start=2):  # the header is row 1
        if progress is not None and number % CHUNK == 0:
            progress(number // 2, total)
        if not any(cell.strip() for cell in row):
            continue  # a blank line is not a row; numbering still counts it
        values, problem, original = checker.check(row, lines)
        if problem is not None:
            problem.row = number
            result.rejected.append(problem)
            continue
        if values["external_id"] in seen:
            result.duplicates += 1
            continue
        seen[values["external_id"]] = number
        good.append((number, values, original))
    return good, seen


def _import(
    result: ImportResult,
    *,
    content: bytes,
    actor,
    progress: Callable[[int, int], None] | None,
) -> ImportResult:
    batch = result.batch
    text, undecodable = decode(content)
    header, rows = read_rows(text)
    columns = check_header(header)
    if not any(any(cell.strip() for cell in row) for row, _ in rows):
        raise ImportFileError("The file has a header row but no rows of sales.")
    total = len(rows)
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=total)

    checker = RowChecker(header, columns, _partners_for(actor))
    # Cells are scanned for NUL bytes, control characters and bytes that are not UTF-8 only when
    # the file holds any: a clean file pays one pass of a regular expression, not one per cell.
    checker.scan_characters = undecodable or BAD_CHARACTER.search(text) is not None
    good, seen = _check_rows(rows, checker, result, progress)

    existing = _existing(seen)
    fresh = [(n, v, o) for n, v, o in good if v["external_id"] not in existing]
    result.duplicates += len(good) - len(fresh)
    sales, returns = _split_returns(fresh, result)

    with transaction.atomic():
        created_sales = _insert_sales(sales, batch_id=batch.pk, total=total, progress=progress)
        result.duplicates += len(sales) - len(created_sales)
        created_returns = _insert_returns(returns, batch_id=batch.pk, result=result)
        result.created = len(created_sales) + len(created_returns)
        _finish(result, total=total, created=created_sales + created_returns)
        sales_imported.send(sender=ImportBatch, batch_id=batch.pk, sales=created_sales)
    batch.refresh_from_db()
    result.batch = batch
    return result


def _split_returns(
    fresh: list[tuple[int, dict, str]], result: ImportResult
) -> tuple[list[dict], list[tuple[int, dict, str]]]:
    """The new sales, and the returns whose original exists (in the database or among this
    file's sales) and can be returned by them: same partner and SKU, not dated before it."""
    in_file = {v["external_id"]: v for _, v, _ in fresh}
    originals = _existing({o for _, v, o in fresh if v["kind"] == "return"} - set(in_file))
    sales, returns = [], []
    for number, values, original in fresh:
        if values["kind"] == "sale":
            sales.append(values)
            continue
        ref = originals.get(original)
        if ref is not None:
            o_partner, o_product, o_date, o_kind = ref[1:5]
            o_rate = ref[7], ref[8]
            o_currency = ref[6] or ref[5]
        elif original in in_file:
            o = in_file[original]
            o_partner, o_product, o_date, o_kind = (
                o["partner_id"],
                o["product_id"],
                o["invoice_date"],
                o["kind"],
            )
            o_rate = o["exchange_rate"], o["rate_date"]
            o_currency = o["original_currency"] or o["currency"]
        else:
            result.rejected.append(
                Rejected(number, "original_external_id", f"no sale {original[:64]!r}")
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
        elif (values["original_currency"] or values["currency"]) != o_currency:
            problem = f"the original sale was invoiced in {o_currency}"
        else:
            problem = ""
        if problem:
            result.rejected.append(Rejected(number, "original_external_id", problem))
            continue
        if values["original_currency"]:
            values = return_converted(values, *o_rate)
        returns.append((number, values, original))
    return sales, returns


def return_converted(values: dict, rate: Decimal, rate_date: dt.date) -> dict:
    """A return in another currency than its partner's, converted at its original sale's rate
    (whatever the rate on the return's own date)."""
    return {
        **values,
        "net_amount": convert(values["original_amount"], rate, values["currency"]),
        "exchange_rate": rate,
        "rate_date": rate_date,
    }


def _insert_sales(
    sales: list[dict],
    *,
    batch_id: int,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> list[dict]:
    created: list[dict] = []
    for start in range(0, len(sales), INSERT_CHUNK):
        chunk = sales[start : start + INSERT_CHUNK]
        created += _insert(chunk, batch_id=batch_id)
        if progress is not None:
            progress(total // 2 + (start + len(chunk)) // 2, total)
    return created


def _units(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text} unit" if text == "1" else f"{text} units"


def _returnable(
    originals: list[str],
) -> dict[str, tuple[int, Decimal, Decimal, str]]:
    """Per original sale: its id, and the quantity and amount its returns may still take back.

    The original sales are locked first (in id order, so two imports never deadlock), so a
    concurrent import's returns against them are counted, never raced."""
    found: dict[str, tuple[int, Decimal, Decimal, str]] = {}
    for start in range(0, len(originals), CHUNK):
        chunk = originals[start : start + CHUNK]
        rows = list(
            Sale.objects.select_for_update()
            .filter(external_id__in=chunk)
            .order_by("pk")
            .values_list(
                "external_id",
                "pk",
                "quantity",
                Coalesce("original_amount", "net_amount"),
                Coalesce(NullIf("original_currency", Value("")), "currency"),
            )
        )
        # Returns and their original are in one currency: what is left is counted in it.
        taken = {
            r["original_id"]: (r["quantity"], r["amount"])
            for r in Sale.objects.filter(
                kind=Sale.Kind.RETURN, original_id__in=[pk for _, pk, *_ in rows]
            )
            .order_by()
            .values("original_id")
            .annotate(
                quantity=Sum("quantity"), amount=Sum(Coalesce("original_amount", "net_amount"))
            )
        }
        for external_id, pk, quantity, amount, currency in rows:
            used = taken.get(pk, (Decimal(0), Decimal(0)))
            found[external_id] = (pk, quantity - used[0], amount - used[1], currency)
    return found


def _insert_returns(
    returns: list[tuple[int, dict, str]], *, batch_id: int, result: ImportResult
) -> list[dict]:
    """Insert the returns that stay within what their original sale may still give back, over
    every import (earlier files, earlier rows of this one, and imports running meanwhile)."""
    if not returns:
        return []
    remaining = _returnable(sorted({o for _, _, o in returns}))
    # A return another import stored meanwhile is a duplicate, not a second claw-back.
    arrived = _existing(v["external_id"] for _, v, _ in returns)
    accepted = []
    for number, values, original in returns:
        if values["external_id"] in arrived:
            result.duplicates += 1
            continue
        pk, quantity, amount, currency = remaining[original]
        invoiced = _invoiced(values)
        if values["quantity"] > quantity or invoiced > amount:
            column = "quantity" if values["quantity"] > quantity else "net_amount"
            places = minor_unit(currency)
            left = f"{_units(max(quantity, Decimal(0)))}, {max(amount, Decimal(0)):,.{places}f}"
            result.rejected.append(
                Rejected(
                    number,
                    column,
                    f"returns would exceed the original sale {original[:64]!r} "
                    f"(still returnable: {left})",
                )
            )
            continue
        remaining[original] = (
            pk,
            quantity - values["quantity"],
            amount - invoiced,
            currency,
        )
        accepted.append({**values, "original_id": pk})
    return _insert(accepted, batch_id=batch_id)


def _invoiced(values: dict) -> Decimal:
    """The amount as invoiced (before any conversion)."""
    if values["original_amount"] is not None:
        return values["original_amount"]
    return values["net_amount"]


def _finish(result: ImportResult, *, total: int, created: list[dict]) -> None:
    batch = result.batch
    result.rejected.sort(key=lambda r: (r.row, r.column))
    ImportRejection.objects.bulk_create(
        [
            ImportRejection(batch=batch, row_number=r.row, column=r.column, reason=r.reason[:255])
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
        error="",
        finished_at=timezone.now(),
    )
    for label in sorted({periods.month_of(values["invoice_date"]) for values in created}):
        recompute_request_create(period=label, reason="sales imported")


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
    "original_currency",
    "original_amount",
    "exchange_rate",
    "rate_date",
    "original_id",
    "batch_id",
]


TEXT_COLUMNS = (
    "external_id, customer_name, customer_tax_id, segment, territory, kind, currency, "
    "original_currency"
)
NULLABLE = ("original_amount", "exchange_rate", "rate_date")


def _insert(rows: list[dict], *, batch_id: int) -> list[dict]:
    """Insert checked rows and answer those stored; a row whose external_id arrived meanwhile
    (another import of the same rows) is skipped, not doubled.

    PostgreSQL gets them through COPY into a temporary table (the bulk path that keeps a
    100,000-row file to a few seconds); other databases through bulk_create."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        return _insert_portable(rows, batch_id=batch_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [r"\N" if c in NULLABLE and row[c] is None else row[c] for c in SALE_COLUMNS[:-2]]
            + [row.get("original_id") or r"\N", batch_id]
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
            return rows
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
            "ON CONFLICT (external_id) DO NOTHING RETURNING external_id"
        )
        stored = {external_id for (external_id,) in cursor.fetchall()}
        cursor.execute("DROP TABLE sale_import")
    return [row for row in rows if row["external_id"] in stored]


def _insert_portable(rows: list[dict], *, batch_id: int) -> list[dict]:
    Sale.objects.bulk_create(
        [Sale(batch_id=batch_id, **row) for row in rows],
        ignore_conflicts=True,
        batch_size=CHUNK,
    )
    stored: set[str] = set()
    for start in range(0, len(rows), CHUNK):
        stored.update(
            Sale.objects.filter(
                batch_id=batch_id,
                external_id__in=[row["external_id"] for row in rows[start : start + CHUNK]],
            ).values_list("external_id", flat=True)
        )
    return [row for row in rows if row["external_id"] in stored]


def _fail(result: ImportResult, message: str, column: str = "") -> ImportResult:
    """End the batch failed with its reason; nothing of the file is stored."""
    result.created, result.duplicates = 0, 0
    result.rejected = [Rejected(1, column or "file", message)]
    with transaction.atomic():
        ImportRejection.objects.filter(batch=result.batch).delete()
        ImportRejection.objects.create(
            batch=result.batch, row_number=1, column=column or "file", reason=message[:255]
        )
        ImportBatch.objects.filter(pk=result.batch.pk).update(
            status=ImportBatch.Status.FAILED,
            error=message,
            created_count=0,
            duplicate_count=0,
            rejected_count=1,
            finished_at=timezone.now(),
        )
    result.batch.refresh_from_db()
    return result


def store_upload(upload, *, storage, folder: str) -> tuple[str, str]:
    """Store an uploaded file under `folder` and answer its stored name and SHA-256; it is
    hashed and stored chunk by chunk, never held in memory whole."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return storage.save(f"{folder}/{uuid.uuid4().hex}.csv", upload), digest.hexdigest()


def batch_progress(model, batch_id: int) -> Callable[[int, int], None]:
    """The progress report of an import batch (any model with processed_rows and total_rows):
    each call writes how many rows are done out of how many."""

    def progress(done: int, total: int) -> None:
        model.objects.filter(pk=batch_id).update(
            processed_rows=done, total_rows=total, updated_at=timezone.now()
        )

    return progress


def sales_import_enqueue(*, upload, actor, storage) -> ImportBatch:
    """Store an uploaded file and queue its import; the page follows the batch's progress."""
    name, digest = store_upload(upload, storage=storage, folder="imports")
    batch = ImportBatch.objects.create(
        filename=upload.name[:255],
        stored_file=name,
        sha256=digest,
        created_by=actor,
    )
    from ..tasks import sales_import_task

    enqueue_on_commit(sales_import_task, batch.pk)
    return batch


def gave_up(attempts: int, error: object) -> str:
    return (
        f"The import was tried {attempts} times and stopped each time before finishing "
        f"({error}); it is not tried again. Upload the file again to retry."
    )


def sales_import_run(*, batch_id: int, storage) -> ImportResult | None:
    """Run a queued import once (a second delivery of the task finds it no longer pending).

    Each run counts as an attempt; a run stopped by a lost database connection puts the batch
    back for another attempt, or ends it failed after MAX_ATTEMPTS."""
    if not ImportBatch.objects.filter(
        pk=batch_id, status=ImportBatch.Status.PENDING, attempts__lt=MAX_ATTEMPTS
    ).update(
        status=ImportBatch.Status.RUNNING, attempts=F("attempts") + 1, updated_at=timezone.now()
    ):
        return None
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    # The import runs with the uploader's reach (a batch with no uploader is the system's).
    actor = batch.created_by
    progress = batch_progress(ImportBatch, batch_id)

    try:
        handle = storage.open(batch.stored_file, "rb")
    except OSError as exc:
        return _fail(ImportResult(batch=batch), f"The uploaded file cannot be read ({exc}).")
    try:
        with handle:
            return sales_import(
                file=handle, filename=batch.filename, actor=actor, batch=batch, progress=progress
            )
    except TRANSIENT_ERRORS as exc:
        _release(batch, exc)
        raise


def _release(batch: ImportBatch, error: Exception) -> None:
    """After a lost connection: back to pending for another attempt, or failed for good."""
    try:
        if batch.attempts >= MAX_ATTEMPTS:
            _fail(ImportResult(batch=batch), gave_up(batch.attempts, error))
        else:
            ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.RUNNING).update(
                status=ImportBatch.Status.PENDING, processed_rows=0, updated_at=timezone.now()
            )
    except TRANSIENT_ERRORS:
        logger.warning("sales import %s left running; the sweep takes it up", batch.pk)


def sales_imports_sweep(*, storage, now: dt.datetime | None = None) -> int:
    """Run the uploads no worker picked up (the broker was down) and those whose worker died.

    An import writes its rows, rejections and final status in one transaction, so a batch left
    running by a dead worker wrote nothing and is safe to run again, up to MAX_ATTEMPTS times.
    Batches run fewest attempts first, and one that fails does not stop the others."""
    now = now or timezone.now()
    dead = ImportBatch.objects.filter(
        status=ImportBatch.Status.RUNNING, updated_at__lt=now - RUNNING_TIMEOUT
    )
    for batch in dead.filter(attempts__gte=MAX_ATTEMPTS):
        _fail(ImportResult(batch=batch), gave_up(batch.attempts, "its worker stopped"))
    # A file given directly whose process ended mid-way has nothing to run again.
    for batch in dead.filter(stored_file=""):
        _fail(
            ImportResult(batch=batch),
            "The import stopped before finishing (its process ended) and stored nothing.",
        )
    dead_ids = list(dead.values_list("pk", flat=True))
    ImportBatch.objects.filter(pk__in=dead_ids, status=ImportBatch.Status.RUNNING).update(
        status=ImportBatch.Status.PENDING, processed_rows=0, updated_at=now
    )
    stale = (
        ImportBatch.objects.filter(status=ImportBatch.Status.PENDING)
        .filter(Q(created_at__lt=now - PICKUP_GRACE) | Q(pk__in=dead_ids))
        .exclude(stored_file="")
        .order_by("attempts", "created_at")
    )
    count = 0
    for batch_id in list(stale.values_list("pk", flat=True)):
        try:
            if sales_import_run(batch_id=batch_id, storage=storage) is not None:
                count += 1
        except Exception:
            logger.exception("sales import %s stopped; the sweep goes on", batch_id)
    return count
