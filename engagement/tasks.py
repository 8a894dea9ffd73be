from celery import shared_task

from .pulse_services import pulse_messages_send


@shared_task
def pulse_messages_send_task() -> dict[str, int]:
    """Daily: the quarter's pulse invitations, then the reminders, each sent once."""
    return pulse_messages_send()
