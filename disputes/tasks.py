from celery import shared_task
from django.db import DatabaseError

from .services import case_breaches_escalate


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def case_breaches_escalate_task() -> int:
    """Beat: escalate cases past their SLA deadlines (safe to run twice)."""
    return len(case_breaches_escalate())
