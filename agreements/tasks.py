from celery import shared_task
from django.utils import timezone

from .services.agreements import agreement_reminders_send


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def agreement_reminders_send_task() -> dict[str, int]:
    """Daily: renewal and expiry reminders, status moves, auto-renewals (safe to run twice)."""
    return agreement_reminders_send(today=timezone.localdate())
