"""Tier data for the tier-move tests: a three-tier ladder, sales and tier changes by hand."""

import datetime
import itertools
from decimal import Decimal

import pytest

from commissions.models import Sale
from enablement.models import TierPolicy, TierRequirements
from partners.models import Partner, Tier
from tests.agreements.factories import ProductFactory

ON = datetime.date(2026, 6, 15)
_ids = itertools.count()


@pytest.fixture
def tier_ladder(world):
    """Registered (no requirements), Silver (1,000.00 over 12 months), Gold (5,000.00); every
    partner starts Registered; a 30-day notice."""
    tiers = {}
    for rank, code in enumerate(["registered", "silver", "gold"], start=1):
        tiers[code], _created = Tier.objects.update_or_create(
            code=code, defaults={"name": code.title(), "local_name": f"{code}-zh", "rank": rank}
        )
    Partner.objects.update(tier=tiers["registered"])
    Tier.objects.exclude(pk__in=[t.pk for t in tiers.values()]).delete()
    TierRequirements.objects.create(tier=tiers["silver"], revenue_12m=Decimal("1000.00"))
    TierRequirements.objects.create(tier=tiers["gold"], revenue_12m=Decimal("5000.00"))
    TierPolicy.objects.create(demotion_notice_days=30)
    world.partner.refresh_from_db()
    world.other_partner.refresh_from_db()
    return tiers


def sale_add(partner, amount, day=ON - datetime.timedelta(days=10), product=None):
    return Sale.objects.create(
        external_id=f"M{next(_ids)}",
        partner=partner,
        product=product or ProductFactory(currency=partner.currency),
        customer_name="Customer",
        invoice_date=day,
        kind=Sale.Kind.SALE,
        quantity=Decimal("1"),
        net_amount=Decimal(amount),
        currency=partner.currency,
    )


def tier_set(partner, tier):
    Partner.objects.filter(pk=partner.pk).update(tier=tier)
    partner.refresh_from_db()
