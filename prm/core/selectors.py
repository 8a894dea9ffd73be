"""Reads of audit events, scoped like the objects they describe."""

from __future__ import annotations

from .models import Event


def event_list_for_partner(*, partner, limit: int = 20) -> list[Event]:
    """The partner-facing history of one organisation."""
    return list(
        Event.objects.filter(partner=partner)
        .select_related("actor", "target_type")
        .order_by("-created_at", "-id")[:limit]
    )


def event_list_for_vendor(*, user, limit: int = 20) -> list[Event]:
    """Recent events on the partners the vendor user may see."""
    from partners.selectors import partner_visible_queryset

    visible = partner_visible_queryset(user=user)
    return list(
        Event.objects.filter(partner__in=visible)
        .select_related("actor", "partner", "target_type")
        .order_by("-created_at", "-id")[:limit]
    )
