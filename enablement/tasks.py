"""Enablement tasks, found by Celery's autodiscovery; each kind lives in a module of its own."""

from .certificate_tasks import certificate_reminders_task

__all__ = ["certificate_reminders_task"]
