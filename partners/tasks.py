"""Partner tasks: thin wrappers around services, safe to run twice."""

from celery import shared_task
from django.db import DatabaseError

from .services import deal_expiry_warnings_send, deal_protections_expire


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def deal_protections_expire_task() -> int:
    """End deal protections whose date has passed (daily)."""
    return deal_protections_expire()


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def deal_expiry_warnings_send_task() -> int:
    """Warn partners two weeks before a deal protection ends (daily; each deal once)."""
    return deal_expiry_warnings_send()
