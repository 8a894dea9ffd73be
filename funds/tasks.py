from celery import shared_task

from .services import fund_reminders_send, fund_requests_expire


@shared_task
def fund_deadlines_task() -> dict[str, int]:
    """Daily: expire unclaimed requests past their deadline, then send the 14- and 3-day
    reminders (each once)."""
    return {"expired": fund_requests_expire(), "reminded": fund_reminders_send()}
