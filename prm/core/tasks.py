"""Cross-cutting tasks: thin wrappers around services, safe to run twice."""

import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core import management
from django.core.mail import get_connection
from django.db import DatabaseError

from .mail import message_from_dict


@shared_task(
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    acks_late=True,
)
def send_email_task(payload: dict[str, Any]) -> int:
    """Send one queued message through the real backend."""
    connection = get_connection(settings.PRM_EMAIL_BACKEND)
    return connection.send_messages([message_from_dict(payload)])


def sweep_task(func=None, *, name: str | None = None):
    """A beat sweep: safe to run twice, retried with backoff while the database is unavailable.
    The task keeps the name Celery derives from `func`, unless `name` gives another."""
    options = {
        "autoretry_for": (DatabaseError,),
        "retry_backoff": True,
        "retry_backoff_max": 600,
        "max_retries": 5,
        "acks_late": True,
    }
    if name is not None:
        options["name"] = name
    decorator = shared_task(**options)
    return decorator if func is None else decorator(func)


@shared_task(acks_late=True)
def clear_expired_sessions_task() -> None:
    management.call_command("clearsessions")
