"""Payments of sales, for plans that accrue on payment: the payments CSV (`external_id,
paid_date, amount`), checked row by row like the sales import (bad rows rejected with their row,
column and reason, good rows kept, a line already imported a duplicate), and the day each sale's
payments first reach its net amount (`SalePaid`), recomputed set-based for the sales a file
touches. The periods whose sums that moves are recomputed."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from partners.models import Partner
from prm.core.lookups import Ids, membership
from prm.core.money import minor_unit

from .. import periods
from ..models import Payment, PaymentBatch, Sale, SalePaid
from .import_checks import (
    GROUPED_NUMBER,
    ISO_DATE,
    PLAIN_NUMBER,
    ImportFileError,
    Rejected,
    _character_problem,
    decode,
    read_rows,
)
from .imports import _partners_for, batch_progress
from .payment_sql import PaymentSqlImport
from .recompute import recompute_request_create

COLUMNS = ("external_id", "paid_date", "amount")
# PostgreSQL checks a file set-based (payment_sql); False runs the Python checker there too (the
# path SQLite always takes), which the differential tests compare it with.
SQL_CHECKS = True
CHUNK = 5000  # external ids per lookup
LIMIT = Decimal("999999999999.99")
STORED_REJECTIONS = 10000  # rejected rows kept on the batch for the page and the API
# More partners than this with a moved period: one recompute of the whole period instead.
PER_PARTNER_REQUESTS = 50


@dataclass
class PaymentImportResult:
    batch: PaymentBatch
    created: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def payments_import(
    *,
    file: IO[bytes],
    filename: str,
    actor=None,
    batch: PaymentBatch | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PaymentImportResult:
    """Import a payments CSV. Payments of sales of partners the actor may not see are rejected
    as unknown sales. A file that cannot be read at all ends `failed` with its reason.

    PostgreSQL streams the file into a staging table and checks it set-based (`payment_sql`);
    other databases, and SQL_CHECKS False, read it whole and take the Python checker below,
    with the same outcome."""
    sql = connection.vendor == "postgresql" and SQL_CHECKS
    content = b"" if sql else file.read()
    if batch is None:
        batch = PaymentBatch.objects.create(
            filename=filename[:255],
            sha256="" if sql else hashlib.sha256(content).hexdigest(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
    batch.status = PaymentBatch.Status.RUNNING
    batch.save(update_fields=["status", "updated_at"])
    result = PaymentImportResult(batch)
    if sql:
        return _import_sql(result, file=file, actor=actor, progress=progress)
    try:
        header, rows = read_rows(decode(content)[0])
        positions = _check_header(header)
    except ImportFileError as exc:
        result.rejected.append(Rejected(1, exc.column, exc.message))
        return _finish(result, total=0, error=exc.message)
    batch.total_rows = len(rows)
    batch.save(update_fields=["total_rows", "updated_at"])
    checked = _check_rows(rows, len(header), positions, result, progress)
    good = _resolve(checked, _partners_for(actor), result)
    _store(good, result)
    return _finish(result, total=len(rows))


def _import_sql(result: PaymentImportResult, *, file, actor, progress) -> PaymentImportResult:
    """PostgreSQL: the file streamed into a staging table and checked set-based; the batch's
    counts are written in the transaction that stores the payments."""
    from .imports import import_size

    def finish(job: PaymentSqlImport) -> None:
        result.created, result.duplicates, result.rejected = (
            job.created,
            job.duplicates,
            job.rejected,
        )
        result.batch.sha256 = job.sha256
        _request_recomputes(job.moved)
        _finish(result, total=job.staged.records)

    job = PaymentSqlImport(
        batch=result.batch,
        partners=_partners_for(actor),
        today=timezone.localdate(),
        progress=progress,
    )
    try:
        job.run(file, finish=finish, size=import_size(file))
    except ImportFileError as exc:
        result.batch.sha256 = job.sha256 or result.batch.sha256
        result.created, result.duplicates = 0, 0
        result.rejected = [Rejected(1, exc.column, exc.message)]
        return _finish(result, total=0, error=exc.message)
    result.timings = job.timings
    return result


def payments_import_enqueue(*, upload, actor, storage) -> PaymentBatch:
    """Store an uploaded file and queue its import; its page shows the progress."""
    import uuid

    from prm.core.queue import enqueue_on_commit

    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = storage.save(f"payment-imports/{uuid.uuid4().hex}.csv", upload)
    with transaction.atomic():
        batch = PaymentBatch.objects.create(
            filename=upload.name[:255],
            stored_file=stored,
            sha256=digest.hexdigest(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        from ..tasks import payments_import_run_task

        enqueue_on_commit(payments_import_run_task, batch.pk)
    return batch


def payments_import_run(*, batch_id: int, storage) -> PaymentImportResult | None:
    """Run a queued import once: a guarded status update claims it."""
    claimed = PaymentBatch.objects.filter(pk=batch_id, status=PaymentBatch.Status.PENDING).update(
        status=PaymentBatch.Status.RUNNING
    )
    if not claimed:
        return None
    batch = PaymentBatch.objects.select_related("created_by").get(pk=batch_id)
    with storage.open(batch.stored_file, "rb") as handle:
        return payments_import(
            file=handle,
            filename=batch.filename,
            actor=batch.created_by,
            batch=batch,
            progress=batch_progress(PaymentBatch, batch_id),
        )


def _check_header(header: list[str]) -> dict[str, int]:
    if any(_character_problem(cell) for cell in header):
        raise ImportFileError(
            "The header row is not UTF-8 text or holds control characters; "
            "save the file as CSV UTF-8."
        )
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise ImportFileError(f"Missing columns: {', '.join(missing)}.", column=missing[0])
    for position, name in enumerate(header):
        if name and name in header[:position]:
            raise ImportFileError(f"The column {name} appears twice in the header.", column=name)
    return {name: header.index(name) for name in COLUMNS}


@dataclass
class _Row:
    number: int
    external_id: str
    paid_date: dt.date
    amount: Decimal


def _check_rows(rows, width: int, positions: dict[str, int], result, progress=None) -> list[_Row]:
    """Rows whose shape, characters, date and amount are right (the sales are looked up next).
    Rows are numbered by the file's physical lines: a record spanning several is numbered by
    its last."""
    good: list[_Row] = []
    number = 1
    today = timezone.localdate()
    for index, (row, lines) in enumerate(rows, start=1):
        if progress is not None and index % CHUNK == 0:
            progress(index, len(rows))
        number += lines
        problem = _check_row(row, width, positions, today)
        if isinstance(problem, Rejected):
            problem.row = number
            result.rejected.append(problem)
        elif problem is not None:
            problem.number = number
            good.append(problem)
    return good


def _check_row(
    row: list[str], width: int, positions: dict[str, int], today
) -> _Row | Rejected | None:
    if not any(cell.strip() for cell in row):
        return None  # a blank line
    if len(row) != width:
        return Rejected(0, "row", f"row has {len(row)} fields, the header has {width}")
    for name in COLUMNS:
        problem = _character_problem(row[positions[name]])
        if problem is not None:
            return Rejected(0, name, problem)
    external_id, paid, amount = (row[positions[name]].strip() for name in COLUMNS)
    if not external_id:
        return Rejected(0, "external_id", "required")
    if len(external_id) > 64:
        return Rejected(0, "external_id", "longer than 64 characters")
    # The contract's format only: fromisoformat alone also takes "2026-W41-1" or "2026100512".
    try:
        paid_date = dt.date.fromisoformat(paid) if ISO_DATE.fullmatch(paid) else None
    except ValueError:
        paid_date = None
    if paid_date is None:
        return Rejected(
            0, "paid_date", f"{paid[:40]!r} is not a date (YYYY-MM-DD)" if paid else "required"
        )
    if paid_date > today:
        return Rejected(0, "paid_date", f"{paid} is in the future")
    value, reason = _amount(amount)
    if value is None:
        return Rejected(0, "amount", reason)
    return _Row(0, external_id, paid_date, value)


def _amount(text: str) -> tuple[Decimal | None, str]:
    if not text:
        return None, "required"
    if not PLAIN_NUMBER.fullmatch(text):
        if GROUPED_NUMBER.fullmatch(text):
            return None, f"{text} has thousands separators; write {text.replace(',', '')}"
        return None, f"{text[:40]} is not a number"
    value = Decimal(text)
    if value < 0:
        return None, f"{text} is negative; a payment is a positive amount"
    if value == 0:
        return None, "must be greater than zero"
    if value > LIMIT:
        return None, f"too large (at most {LIMIT:,})"
    return value, ""


def _resolve(rows: list[_Row], partners, result) -> list[tuple[_Row, int]]:
    """Each row with its sale's id; unknown sales, returns, amounts finer than the sale's
    currency and lines repeated in the file are rejected or counted as duplicates."""
    visible = set(partners.values_list("pk", flat=True))
    ids = sorted({row.external_id for row in rows})
    sales: dict[str, tuple] = {}
    for start in range(0, len(ids), CHUNK):
        for row in Sale.objects.filter(external_id__in=ids[start : start + CHUNK]).values_list(
            "external_id", "pk", "partner_id", "kind", "currency"
        ):
            sales[row[0]] = row[1:]
    good, seen = [], set()
    for row in rows:
        found = sales.get(row.external_id)
        if found is None or found[1] not in visible:
            result.rejected.append(
                Rejected(
                    row.number, "external_id", f"no sale {row.external_id} (import the sale first)"
                )
            )
            continue
        sale_id, _partner, kind, currency = found
        if kind != Sale.Kind.SALE:
            result.rejected.append(
                Rejected(
                    row.number,
                    "external_id",
                    f"{row.external_id} is a return; payments are for sales",
                )
            )
            continue
        places = minor_unit(currency)
        if row.amount.as_tuple().exponent < -places:
            result.rejected.append(
                Rejected(
                    row.number,
                    "amount",
                    f"{row.amount} has more than {places} decimals ({currency} has {places})",
                )
            )
            continue
        key = (sale_id, row.paid_date, row.amount)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        good.append((row, sale_id))
    return good


def _store(good: list[tuple[_Row, int]], result: PaymentImportResult) -> None:
    """Insert the new payments, refresh the paid days of their sales and ask for the recompute
    of every period a sale moved out of or into, in one transaction."""
    if not good:
        return
    sale_ids = sorted({sale_id for _row, sale_id in good})
    with transaction.atomic():
        existing = {
            (sale_id, paid_date, amount)
            for sale_id, paid_date, amount in Payment.objects.filter(
                sale_id__any_of=Ids(sale_ids)
            ).values_list("sale_id", "paid_date", "amount")
        }
        new = [
            Payment(sale_id=sale_id, paid_date=row.paid_date, amount=row.amount, batch=result.batch)
            for row, sale_id in good
            if (sale_id, row.paid_date, row.amount) not in existing
        ]
        Payment.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
        result.created = len(new)
        result.duplicates += len(good) - len(new)
        moved = sale_paid_refresh(sale_ids=sale_ids)
        _request_recomputes(moved)


def sale_paid_refresh(*, sale_ids: list[int]) -> dict[str, set[int]]:
    """Recompute the day each of `sale_ids` was paid in full: the first day on which the sum of
    its payments up to and including that day reaches its net amount. Answers, per month, the
    partners whose sales moved into or out of it."""
    before = dict(
        SalePaid.objects.filter(sale_id__any_of=Ids(sale_ids)).values_list("sale_id", "paid_on")
    )
    payment, sale, paid = (m._meta.db_table for m in (Payment, Sale, SalePaid))
    ids_sql, ids_params = membership("p.sale_id", list(sale_ids), connection.vendor)
    SalePaid.objects.filter(sale_id__any_of=Ids(sale_ids)).delete()
    # SQLite sums decimals as binary floats (4,000.30 + 620.31 falls short of 4,620.61):
    # there the sums are compared in cents.
    reached = (
        "paid >= net_amount"
        if connection.vendor == "postgresql"
        else "ROUND(paid * 100) >= ROUND(net_amount * 100)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {paid} (sale_id, partner_id, paid_on)
            SELECT sale_id, partner_id, MIN(paid_date) FROM (
                SELECT p.sale_id, s.partner_id, p.paid_date, s.net_amount,
                       SUM(p.amount) OVER (PARTITION BY p.sale_id ORDER BY p.paid_date) AS paid
                FROM {payment} p JOIN {sale} s ON s.id = p.sale_id
                WHERE {ids_sql}
            ) running
            WHERE {reached}
            GROUP BY sale_id, partner_id
            """,  # noqa: S608
            ids_params,
        )
    after = dict(
        SalePaid.objects.filter(sale_id__any_of=Ids(sale_ids)).values_list("sale_id", "paid_on")
    )
    partners = dict(Sale.objects.filter(pk__in=sale_ids).values_list("pk", "partner_id"))
    moved: dict[str, set[int]] = defaultdict(set)
    for sale_id in sale_ids:
        old, new = before.get(sale_id), after.get(sale_id)
        if old == new:
            continue
        for day in (old, new):
            if day is not None:
                moved[periods.month_of(day)].add(partners[sale_id])
    return moved


def _request_recomputes(moved: dict[str, set[int]]) -> None:
    for month, partner_ids in sorted(moved.items()):
        if len(partner_ids) > PER_PARTNER_REQUESTS:
            recompute_request_create(period=month, reason="payments")
            continue
        for partner in Partner.objects.filter(pk__in=partner_ids).order_by("pk"):
            recompute_request_create(period=month, partner=partner, reason="payments")


def _finish(result: PaymentImportResult, *, total: int, error: str = "") -> PaymentImportResult:
    batch = result.batch
    batch.status = PaymentBatch.Status.FAILED if error else PaymentBatch.Status.DONE
    batch.error = error
    batch.total_rows = total
    batch.processed_rows = total
    batch.created_count = result.created
    batch.duplicate_count = result.duplicates
    batch.rejected_count = len(result.rejected)
    result.rejected.sort(key=lambda r: r.row)
    batch.rejections = [
        {"row": r.row, "column": r.column, "reason": r.reason}
        for r in result.rejected[:STORED_REJECTIONS]
    ]
    batch.finished_at = timezone.now()
    batch.save()
    return result
