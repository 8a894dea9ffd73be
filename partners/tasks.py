"""Partner tasks: thin wrappers around services, safe to run twice."""

from prm.core.tasks import sweep_task

from .services import deal_expiry_warnings_send, deal_protections_expire


@sweep_task
def deal_protections_expire_task() -> int:
    """End deal protections whose date has passed (daily)."""
    return deal_protections_expire()


@sweep_task
def deal_expiry_warnings_send_task() -> int:
    """Warn partners two weeks before a deal protection ends (daily; each deal once)."""
    return deal_expiry_warnings_send()


@sweep_task
def review_reminders_send_task() -> dict[str, int]:
    """Schedule missing business reviews, remind 14 and 2 days ahead and flag overdue reviews
    (daily; each reminder once)."""
    from .services.reviews import review_reminders_send

    return review_reminders_send()


@sweep_task
def announcement_reminders_send_task() -> int:
    """Remind partners that have not acknowledged an announcement, three days before its
    acknowledge-by date and on the date (daily; each stage once per partner)."""
    from .services.announcements import announcement_reminders_send

    return announcement_reminders_send()


@sweep_task
def milestones_check_task() -> int:
    """Record targets reached and partnership anniversaries (daily; each milestone once)."""
    from .services.milestones import milestones_check

    return milestones_check()
