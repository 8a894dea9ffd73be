"""Recompute requests: recorded with their cause, run by a worker, swept by beat if missed."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from prm.core.queue import enqueue_on_commit

from ..models import RecomputeRequest
from .compute import recompute

# A request nobody picked up after this long is run by the sweep; a running one this old is
# taken to have lost its worker.
PICKUP_GRACE = dt.timedelta(seconds=settings.PRM_WORK_PICKUP_GRACE_SECONDS)
RUNNING_TIMEOUT = dt.timedelta(seconds=settings.PRM_WORK_RUNNING_TIMEOUT_SECONDS)


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

    def progress(done: int, total: int) -> None:
        RecomputeRequest.objects.filter(pk=request_id).update(
            done_partners=done, total_partners=total
        )

    recompute(
        month_label=request.period,
        partner_ids=[request.partner_id] if request.partner_id else None,
        progress=progress,
    )
    RecomputeRequest.objects.filter(pk=request_id).update(
        status=RecomputeRequest.Status.DONE, finished_at=timezone.now()
    )
    request.refresh_from_db()
    return request


def recompute_requests_sweep() -> int:
    """Run every request that no worker has picked up (broker down, worker killed)."""
    now = timezone.now()
    stale = RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.PENDING, created_at__lt=now - PICKUP_GRACE
    ) | RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.RUNNING, started_at__lt=now - RUNNING_TIMEOUT
    )
    count = 0
    for request_id in stale.order_by("created_at").values_list("pk", flat=True):
        if recompute_request_run(request_id=request_id) is not None:
            count += 1
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
