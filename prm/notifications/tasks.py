"""Notification tasks: thin wrappers around services, safe to run twice."""

from celery import shared_task

from prm.core.tasks import sweep_task

from .services import WebhookError, digests_send, webhook_deliver, webhook_deliveries_sweep


@shared_task(
    autoretry_for=(WebhookError,),
    retry_backoff=30,
    retry_backoff_max=300,
    max_retries=3,
    acks_late=True,
)
def webhook_deliver_task(delivery_id: int) -> bool:
    """Post one message to a team channel; a failing channel is retried with backoff, then by
    the hourly sweep."""
    return webhook_deliver(delivery_id=delivery_id)


@sweep_task
def digests_send_task() -> int:
    """The daily digest email, for everyone who chose it for some category."""
    return digests_send()


@shared_task(acks_late=True)
def webhook_deliveries_sweep_task() -> int:
    """Queue again the channel messages that never got through (hourly)."""
    return webhook_deliveries_sweep()
