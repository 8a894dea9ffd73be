"""SLA arithmetic in wall-clock hours: deadlines from the priority, paused while waiting on
the partner."""

from __future__ import annotations

import datetime as dt

from .models import Priority, SlaPolicy

# (first response, resolution) in hours, used when an admin has not configured a priority.
DEFAULT_SLA_HOURS: dict[str, tuple[int, int]] = {
    Priority.URGENT: (4, 3 * 24),
    Priority.HIGH: (8, 7 * 24),
    Priority.NORMAL: (24, 14 * 24),
    Priority.LOW: (72, 30 * 24),
}


def sla_hours(priority: str) -> tuple[int, int]:
    """The configured (first response, resolution) hours for `priority`, else the default."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is not None:
        return policy.first_response_hours, policy.resolution_hours
    return DEFAULT_SLA_HOURS[priority]


def sla_deadlines(*, priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    first, resolution = sla_hours(priority)
    return start + dt.timedelta(hours=first), start + dt.timedelta(hours=resolution)


def is_breached(*, due: dt.datetime, now: dt.datetime) -> bool:
    """A deadline is breached from the very moment it is reached."""
    return now >= due
