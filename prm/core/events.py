"""Writing audit events. Services call `event_record` inside their transaction."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Event


def event_record(
    *,
    actor: Any,
    verb: str,
    target: models.Model,
    partner: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> Event:
    """Record that `actor` did `verb` to `target` (optionally on behalf of a partner)."""
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        partner=partner,
        before=before or {},
        after=after or {},
        reason=reason,
    )
