"""The verbs the enablement app records: tier moves. Each is filed under the partner it moves and
read by that partner's users as well as vendor staff (the tier rule is the partner's to see)."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import EventType, localised, register


def _tiers(event):
    return {
        "from_tier": localised(event, "from_tier", "local_from_tier"),
        "to_tier": localised(event, "to_tier", "local_to_tier"),
    }


def _first_proposed(event):
    if not (event.after or {}).get("from_tier"):
        return _(
            "The partner qualifies for %(to_tier)s, its first tier: the promotion awaits the "
            "vendor's approval."
        )
    return None


def _first_approved(event):
    if not (event.after or {}).get("from_tier"):
        return _("%(actor)s approved %(to_tier)s as the partner's first tier.")
    return None


register(
    EventType(
        "tier.promotion_proposed",
        _(
            "The partner qualifies for %(to_tier)s: the promotion from %(from_tier)s awaits the "
            "vendor's approval."
        ),
        values=_tiers,
        choose=_first_proposed,
        icon="bi-arrow-up-circle",
    ),
    EventType(
        "tier.promotion_approved",
        _("%(actor)s approved the promotion from %(from_tier)s to %(to_tier)s."),
        values=_tiers,
        choose=_first_approved,
        icon="bi-arrow-up-circle-fill",
    ),
    EventType(
        "tier.promotion_rejected",
        _("%(actor)s rejected the promotion from %(from_tier)s to %(to_tier)s."),
        values=_tiers,
    ),
    EventType(
        "tier.promotion_withdrawn",
        _(
            "The proposed promotion from %(from_tier)s to %(to_tier)s was withdrawn: the partner "
            "no longer qualifies for it."
        ),
        values=_tiers,
    ),
    EventType(
        "tier.demotion_notified",
        _(
            "Notice of demotion: the partner no longer meets the requirements of %(from_tier)s "
            "and moves to %(to_tier)s on %(effective_on)s unless it meets them again by then."
        ),
        values=_tiers,
        icon="bi-exclamation-triangle",
    ),
    EventType(
        "tier.demoted",
        _("After the notice period the partner moved from %(from_tier)s to %(to_tier)s."),
        values=_tiers,
        icon="bi-arrow-down-circle-fill",
    ),
    EventType(
        "tier.demotion_cancelled",
        _(
            "The demotion from %(from_tier)s to %(to_tier)s was cancelled: the partner meets "
            "the requirements again."
        ),
        values=_tiers,
    ),
)
