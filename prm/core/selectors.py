"""Reads of audit events, scoped like the objects they describe."""

from __future__ import annotations

from .models import Event

# History that only vendor staff read, whoever the partner is.
VENDOR_ONLY_VERBS = ("case.note_added", "announcement.reminded")
# What each partner role does not read in its organisation's history, as the pages they may
# open (spec: Roles and access): sales users see no payouts and only their own cases; finance
# users see no deal registrations.
HIDDEN_PREFIXES = {
    "partner_sales": ("statement.", "adjustment.", "case."),
    "partner_finance": ("deal.",),
}


def event_list_for_partner(*, partner, limit: int = 20, role: str | None = None) -> list[Event]:
    """The history of one organisation as `role` may read it (vendor staff when None: all of
    it; partner roles: without vendor-only entries and what their role does not open)."""
    events = Event.objects.filter(partner=partner)
    if role is not None and not str(role).startswith(("vendor", "channel")):
        events = events.exclude(verb__in=VENDOR_ONLY_VERBS)
        for prefix in HIDDEN_PREFIXES.get(str(role), ()):
            events = events.exclude(verb__startswith=prefix)
    return list(
        events.select_related("actor", "target_type").order_by("-created_at", "-id")[:limit]
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
