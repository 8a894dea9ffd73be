"""Access-matrix entries for tiers: "what you need for the next tier" is seen by vendor staff who
may see the partner and by the partner's own users (another partner's code answers 404); the
review queue and its decisions belong to vendor staff, a channel manager deciding only for the
partners assigned to them."""

from .base import OWN_PARTNER_API, OWN_PARTNER_PAGE, VENDOR_ACTION, VENDOR_PAGE, Entry


def _promotion_pk(world):
    from enablement.models import TierChange
    from partners.models import Tier

    existing = TierChange.objects.filter(partner=world.partner, status="pending").first()
    if existing is None:
        above, _created = Tier.objects.get_or_create(
            code="matrix-top", defaults={"name": "Top", "rank": 99}
        )
        existing = TierChange.objects.create(
            partner=world.partner,
            direction="promote",
            from_tier=world.partner.tier,
            to_tier=above,
            proposed_on="2026-06-15",
        )
    return {"pk": existing.pk}


def _partner_a(world):
    return {"partner": world.partner.code}


ENTRIES = {
    "tier_next": Entry(OWN_PARTNER_PAGE, data=_partner_a),
    "tier_review_list": Entry(VENDOR_PAGE),
    "tier_promotion_approve": Entry(VENDOR_ACTION, method="post", kwargs=_promotion_pk),
    "tier_promotion_reject": Entry(
        VENDOR_ACTION,
        method="post",
        kwargs=_promotion_pk,
        data=lambda w: {"reason": "Not this quarter"},
    ),
    "api:tier-evaluation": Entry(OWN_PARTNER_API, data=_partner_a),
}
