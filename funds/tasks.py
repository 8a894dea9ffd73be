from celery import shared_task
from django.db import OperationalError

from .protection import claims_expire
from .services import fund_reminders_send, fund_requests_expire


@shared_task
def fund_deadlines_task() -> dict[str, int]:
    """Daily: expire unclaimed requests past their deadline, then send the 14- and 3-day
    reminders (each once)."""
    return {"expired": fund_requests_expire(), "reminded": fund_reminders_send()}


@shared_task
def protection_deadlines_task() -> dict[str, int]:
    """Daily: price-protection claims not declared by their deadline expire."""
    return {"expired": claims_expire()}


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def purchases_import_task(batch_id: int) -> None:
    """Run an uploaded purchases file (the page follows its progress)."""
    from django.core.files.storage import default_storage

    from .purchases import purchases_import_run

    purchases_import_run(batch_id=batch_id, storage=default_storage)


@shared_task(acks_late=True)
def purchases_imports_sweep_task() -> int:
    """Run purchase uploads that were never picked up or lost their worker (every few
    minutes)."""
    from django.core.files.storage import default_storage

    from .purchases import purchases_imports_sweep

    return purchases_imports_sweep(storage=default_storage)
