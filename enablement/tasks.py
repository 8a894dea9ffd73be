"""Enablement tasks: thin wrappers around services, safe to run twice. Certificate reminders live
in a module of their own and are found here by Celery's autodiscovery."""

from prm.core.tasks import sweep_task

from .certificate_tasks import certificate_reminders_task

__all__ = ["certificate_reminders_task", "tiers_evaluate_task", "workshop_reminders_task"]


@sweep_task
def tiers_evaluate_task() -> dict[str, int]:
    """Evaluate every partner and move tiers by rule (nightly): propose promotions, give
    demotion notices, apply those whose date has come, cancel what no longer holds."""
    from .moves import tier_moves_apply

    return tier_moves_apply()


@sweep_task
def workshop_reminders_task() -> int:
    """Remind each confirmed person the day before their workshop (daily; each once)."""
    from .workshops import workshop_reminders_send

    return workshop_reminders_send()
