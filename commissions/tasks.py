import datetime as dt

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from .services.recompute import (
    open_periods_recompute,
    recompute_batch_run,
    recompute_request_run,
    recompute_requests_sweep,
)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=8,
    soft_time_limit=60 * 60,
    time_limit=65 * 60,
)
def recompute_request_run_task(self, request_id: int, claim: str | None = None) -> None:
    """Run one recompute request; while the database is unavailable (restarted, failed over),
    retry with backoff, taking back this task's own claim on the request (`claim`: the start
    time the first attempt recorded)."""
    started_at = claim or timezone.now().isoformat()
    try:
        recompute_request_run(
            request_id=request_id,
            started_at=dt.datetime.fromisoformat(started_at),
            take_back=claim is not None,
        )
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(
            exc=exc,
            args=[request_id, started_at],
            kwargs={},
            countdown=min(2**self.request.retries, 60),
        ) from exc


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=8,
    soft_time_limit=60 * 60,
    time_limit=65 * 60,
)
def recompute_batch_run_task(self, batch_id: int, claim: str | None = None) -> None:
    """Run one batch of a recompute spread over the workers; retried like a request while the
    database is unavailable, taking back this task's own claim on the batch."""
    started_at = claim or timezone.now().isoformat()
    try:
        recompute_batch_run(
            batch_id=batch_id,
            started_at=dt.datetime.fromisoformat(started_at),
            take_back=claim is not None,
        )
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(
            exc=exc,
            args=[batch_id, started_at],
            kwargs={},
            countdown=min(2**self.request.retries, 60),
        ) from exc


@shared_task(acks_late=True)
def recompute_requests_sweep_task() -> int:
    return recompute_requests_sweep()


@shared_task(acks_late=True)
def open_periods_recompute_task() -> list[str]:
    return open_periods_recompute(today=timezone.localdate())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def sales_import_task(batch_id: int) -> None:
    from django.core.files.storage import default_storage

    from .services.imports import sales_import_run

    sales_import_run(batch_id=batch_id, storage=default_storage)


@shared_task(acks_late=True)
def sales_imports_sweep_task() -> int:
    """Run uploads that were never picked up or lost their worker (every few minutes)."""
    from django.core.files.storage import default_storage

    from .services.imports import sales_imports_sweep

    return sales_imports_sweep(storage=default_storage)


@shared_task(acks_late=True, soft_time_limit=30 * 60, time_limit=35 * 60)
def payments_import_run_task(batch_id: int) -> None:
    from django.core.files.storage import default_storage

    from .services.payments import payments_import_run

    payments_import_run(batch_id=batch_id, storage=default_storage)
