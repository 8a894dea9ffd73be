"""Tiers in a real browser: the partner admin reads what the next tier needs, with progress bars
and the pending demotion; the channel manager approves a promotion from the review queue. In
English and zh-Hant, with screenshots and an axe pass on both pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from .conftest import login, screenshot_path
from .test_login import _assert_no_critical

pytestmark = pytest.mark.e2e

LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


def _ladder(world):
    from enablement.models import TierPolicy, TierRequirements
    from partners.models import Partner, Tier

    tiers = {}
    for rank, (code, local) in enumerate(
        [("registered", "註冊"), ("silver", "銀級"), ("gold", "金級")], start=1
    ):
        tiers[code], _created = Tier.objects.update_or_create(
            code=code, defaults={"name": code.title(), "local_name": local, "rank": rank}
        )
    Partner.objects.update(tier=tiers["registered"])
    Tier.objects.exclude(pk__in=[t.pk for t in tiers.values()]).delete()
    TierRequirements.objects.create(tier=tiers["silver"], revenue_12m=Decimal("1000.00"))
    TierRequirements.objects.create(tier=tiers["gold"], revenue_12m=Decimal("5000.00"))
    TierPolicy.objects.create(demotion_notice_days=30)
    return tiers


def _sale(partner, amount):
    from commissions.models import Sale
    from tests.agreements.factories import ProductFactory

    Sale.objects.create(
        external_id=f"E2E-{partner.code}-{amount}",
        partner=partner,
        product=ProductFactory(currency=partner.currency),
        customer_name="Customer",
        invoice_date=timezone.localdate() - dt.timedelta(days=5),
        kind=Sale.Kind.SALE,
        quantity=Decimal("1"),
        net_amount=Decimal(amount),
        currency=partner.currency,
    )


@pytest.mark.parametrize("locale", list(LOCALES))
def test_next_tier_page_and_approving_a_promotion(new_page, live_server, e2e_world, locale):
    from enablement.moves import tier_moves_apply
    from partners.models import Partner

    world = e2e_world
    tiers = _ladder(world)
    # A (Registered) qualifies for Silver; B (Gold) sells 1,200.00 and is given notice.
    _sale(world.partner, "1500.00")
    Partner.objects.filter(pk=world.other_partner.pk).update(tier=tiers["gold"])
    _sale(world.other_partner, "1200.00")
    tier_moves_apply()

    partner = new_page(locale)
    login(partner, live_server, world.email("other_partner"))
    partner.goto(f"{live_server.url}/tiers/next/")
    assert partner.locator("html").get_attribute("lang") == LOCALES[locale]
    notice = partner.locator("#demotion-notice")
    effective = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    assert effective in notice.inner_text()
    bar = notice.locator("[role=progressbar]").first
    assert bar.get_attribute("aria-valuenow") == "24"  # 1,200 of 5,000
    assert bar.get_attribute("aria-valuemin") == "0"
    assert bar.get_attribute("aria-valuemax") == "100"
    _assert_no_critical(partner, f"the next-tier page ({locale})")
    partner.screenshot(path=str(screenshot_path(f"tiers-1-next-{locale}")), full_page=True)

    manager = new_page(locale)
    login(manager, live_server, world.email("cm_assigned"))
    manager.goto(f"{live_server.url}/tiers/reviews/")
    card = manager.locator("article").first
    assert "P-A" in card.inner_text()
    assert "1,500.00" in card.inner_text()
    _assert_no_critical(manager, f"the tier review queue ({locale})")
    manager.screenshot(path=str(screenshot_path(f"tiers-2-queue-{locale}")), full_page=True)
    with manager.expect_navigation():
        card.locator("button.btn-success").click()
    assert manager.locator(".alert-success").count() >= 1
    world.partner.refresh_from_db()
    assert world.partner.tier == tiers["silver"]
