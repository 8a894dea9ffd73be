"""Certificate tasks: thin wrappers around services, safe to run twice."""

from prm.core.tasks import sweep_task

from .certificate_services import certificate_reminders_send


@sweep_task(name="enablement.tasks.certificate_reminders_task")
def certificate_reminders_task() -> dict[str, int]:
    """Remind holders and their partners' admins 60 and 14 days before a certificate expires
    (daily; each reminder once)."""
    return certificate_reminders_send()
