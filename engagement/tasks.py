from prm.core.tasks import sweep_task

from .pulse_services import pulse_messages_send
from .services import commitment_misses_record, health_snapshots_take


@sweep_task
def pulse_messages_send_task() -> dict[str, int]:
    """Daily: the quarter's pulse invitations, then the reminders, each sent once."""
    return pulse_messages_send()


@sweep_task
def commitments_measure_task() -> dict[str, int]:
    """Hourly: measure every partner's commitments; each new miss tells the vendor admins once."""
    return {"missed": commitment_misses_record()}


@sweep_task
def health_snapshots_task() -> dict[str, int]:
    """Nightly: store every partner's health score as this quarter's snapshot."""
    return {"partners": health_snapshots_take()}
