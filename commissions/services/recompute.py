"""Recompute requests: recorded with their cause, run by a worker, swept by beat if missed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from prm.core.queue import enqueue_on_commit

from ..models import RecomputeBatch, RecomputeRequest
from . import compute
from .compute import recompute

# A request nobody picked up after this long is run by the sweep; a running one this old is
# taken to have lost its worker.
PICKUP_GRACE = dt.timedelta(seconds=settings.PRM_WORK_PICKUP_GRACE_SECONDS)
RUNNING_TIMEOUT = dt.timedelta(seconds=settings.PRM_WORK_RUNNING_TIMEOUT_SECONDS)
# A recompute of more partners than this is spread over the workers, a task per batch.
FAN_OUT_PARTNERS = settings.PRM_RECOMPUTE_BATCH_PARTNERS


def recompute_request_create(
    *, period: str, reason: str, partner: Partner | None = None
) -> RecomputeRequest:
    """Record that `period` must be recomputed (in the caller's transaction) and enqueue it once
    that transaction commits."""
    request = RecomputeRequest.objects.create(period=period, partner=partner, reason=reason)
    from ..tasks import recompute_request_run_task

    enqueue_on_commit(recompute_request_run_task, request.pk)
    return request


def recompute_request_run(
    *, request_id: int, started_at: dt.datetime | None = None, take_back: bool = False
) -> RecomputeRequest | None:
    """Run one request. A guarded status update makes sure two workers never run it at once;
    rerunning a request whose worker died is safe because recomputing is idempotent.

    `started_at` is the claim to record (default: now). With `take_back`, a retry of the task
    whose attempt claimed the request with that `started_at` and then lost the database mid-run
    takes its own claim back instead of leaving the request running until the sweep's timeout."""
    now = timezone.now()
    started_at = started_at or now
    running = RecomputeRequest.objects.filter(pk=request_id, status=RecomputeRequest.Status.RUNNING)
    claimed = RecomputeRequest.objects.filter(
        pk=request_id, status=RecomputeRequest.Status.PENDING
    ) | running.filter(started_at__lt=now - RUNNING_TIMEOUT)
    if take_back:
        claimed = claimed | running.filter(started_at=started_at)
    if not claimed.update(
        status=RecomputeRequest.Status.RUNNING, started_at=started_at, done_partners=0
    ):
        return None
    request = RecomputeRequest.objects.get(pk=request_id)
    if (
        request.partner_id is None
        and FAN_OUT_PARTNERS
        and Partner.objects.count() > FAN_OUT_PARTNERS
    ):
        work, _segments = compute.recompute_plan(month_label=request.period, partner_ids=None)
        if _fan_out(request, work):
            return request
        # Nobody to recompute in the period: no batch will close the request.
        return _finish(request_id)
    recompute(
        month_label=request.period,
        partner_ids=[request.partner_id] if request.partner_id else None,
        progress=_progress(request_id),
    )
    return _finish(request_id)


def _progress(request_id: int):
    def progress(done: int, total: int) -> None:
        RecomputeRequest.objects.filter(pk=request_id).update(
            done_partners=done, total_partners=total
        )

    return progress


def _finish(request_id: int) -> RecomputeRequest:
    RecomputeRequest.objects.filter(pk=request_id).update(
        status=RecomputeRequest.Status.DONE, finished_at=timezone.now()
    )
    return RecomputeRequest.objects.get(pk=request_id)


def _fan_out(request: RecomputeRequest, work: list[compute.Work]) -> bool:
    """Store each batch's partners and sums and queue a task per batch; False when there is no
    partner to recompute. Run again (its worker lost before this committed), it replaces the
    batches."""
    from ..tasks import recompute_batch_run_task

    batches: list[RecomputeBatch] = []
    for item in work:
        ids = item.partner_ids
        for start in range(0, len(ids), FAN_OUT_PARTNERS):
            chunk = ids[start : start + FAN_OUT_PARTNERS]
            batches.append(
                RecomputeBatch(
                    request=request,
                    number=len(batches) + 1,
                    period=item.period.label,
                    partner_ids=chunk,
                    sums=compute.sums_to_json(item.sums, chunk),
                    size=len(chunk),
                )
            )
    if not batches:
        return False
    with transaction.atomic():
        RecomputeBatch.objects.filter(request=request).delete()
        RecomputeBatch.objects.bulk_create(batches)
        RecomputeRequest.objects.filter(pk=request.pk).update(
            total_partners=sum(b.size for b in batches), done_partners=0
        )
        for batch_id in RecomputeBatch.objects.filter(request=request).values_list("pk", flat=True):
            enqueue_on_commit(recompute_batch_run_task, batch_id)
    return True


def recompute_batch_run(
    *, batch_id: int, started_at: dt.datetime | None = None, take_back: bool = False
) -> RecomputeBatch | None:
    """Run one batch of a fanned-out request (claimed like a request, see
    `recompute_request_run`); the last batch done closes the request."""
    now = timezone.now()
    started_at = started_at or now
    running = RecomputeBatch.objects.filter(pk=batch_id, status=RecomputeBatch.Status.RUNNING)
    claimed = RecomputeBatch.objects.filter(
        pk=batch_id, status=RecomputeBatch.Status.PENDING
    ) | running.filter(started_at__lt=now - RUNNING_TIMEOUT)
    if take_back:
        claimed = claimed | running.filter(started_at=started_at)
    if not claimed.update(status=RecomputeBatch.Status.RUNNING, started_at=started_at):
        return None
    batch = RecomputeBatch.objects.get(pk=batch_id)
    compute.recompute_batch(
        period_label=batch.period, partner_ids=batch.partner_ids, sums=batch.sums
    )
    with transaction.atomic():
        # The request's row lock orders the batches that finish at once: the last one sees
        # every other done and closes the request.
        request = RecomputeRequest.objects.select_for_update().get(pk=batch.request_id)
        RecomputeBatch.objects.filter(pk=batch_id).update(
            status=RecomputeBatch.Status.DONE, finished_at=timezone.now()
        )
        _close(request)
    batch.refresh_from_db()
    return batch


def _close(request: RecomputeRequest) -> None:
    """Count the request's partners done, and mark it done when no batch is left."""
    batches = RecomputeBatch.objects.filter(request=request)
    done = sum(batches.filter(status=RecomputeBatch.Status.DONE).values_list("size", flat=True))
    update = {"done_partners": done}
    if not batches.exclude(status=RecomputeBatch.Status.DONE).exists():
        update.update(status=RecomputeRequest.Status.DONE, finished_at=timezone.now())
    RecomputeRequest.objects.filter(pk=request.pk, status=RecomputeRequest.Status.RUNNING).update(
        **update
    )


def recompute_requests_sweep() -> int:
    """Run every request that no worker has picked up (broker down, worker killed)."""
    now = timezone.now()
    stale = RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.PENDING, created_at__lt=now - PICKUP_GRACE
    ) | RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.RUNNING, started_at__lt=now - RUNNING_TIMEOUT
    )
    # A request spread over batches is run by its batches, not again as a whole.
    stale = stale.exclude(batches__isnull=False)
    count = 0
    for request_id in stale.order_by("created_at").values_list("pk", flat=True):
        if recompute_request_run(request_id=request_id) is not None:
            count += 1
    stale_batches = RecomputeBatch.objects.filter(
        status=RecomputeBatch.Status.PENDING, created_at__lt=now - PICKUP_GRACE
    ) | RecomputeBatch.objects.filter(
        status=RecomputeBatch.Status.RUNNING, started_at__lt=now - RUNNING_TIMEOUT
    )
    for batch_id in stale_batches.order_by("created_at", "number").values_list("pk", flat=True):
        if recompute_batch_run(batch_id=batch_id) is not None:
            count += 1
    # A request whose last batch finished but lost its worker before closing it.
    for request in RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.RUNNING, batches__isnull=False
    ).distinct():
        with transaction.atomic():
            _close(RecomputeRequest.objects.select_for_update().get(pk=request.pk))
    return count


def open_periods_recompute(*, today: dt.date) -> list[str]:
    """Nightly: request a recompute of the current month and of every period with drafts."""
    from ..models import Statement

    months = {f"{today.year:04d}-{today.month:02d}"}
    for statement in Statement.objects.filter(status=Statement.Status.DRAFT).only("period_end"):
        end = statement.period_end
        months.add(f"{end.year:04d}-{end.month:02d}")
    with transaction.atomic():
        for label in sorted(months):
            recompute_request_create(period=label, reason="nightly")
    return sorted(months)
