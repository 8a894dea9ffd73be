"""Each capability is declared once (prm.core.access) and read by templates as a boolean."""

import pytest

from prm.core.access import Role, capabilities

EXPECTED = {
    Role.VENDOR_ADMIN: {
        "vendor", "vendor_admin", "see_payouts", "see_deals", "manage_members",
        "negotiate_targets", "edit_reviews", "see_funds",
    },
    Role.CHANNEL_MANAGER: {
        "vendor", "see_payouts", "see_deals", "manage_members", "negotiate_targets",
        "edit_reviews", "see_funds",
    },
    Role.PARTNER_ADMIN: {
        "see_payouts", "see_deals", "register_deals", "manage_members", "negotiate_targets",
        "edit_reviews", "see_funds", "request_funds", "answer_pulse", "take_part_in_board",
    },
    Role.PARTNER_FINANCE: {"see_payouts", "see_funds", "take_part_in_board"},
    Role.PARTNER_SALES: {
        "see_deals", "register_deals", "see_funds", "request_funds", "take_part_in_board",
    },
    None: set(),
}  # fmt: skip


@pytest.mark.parametrize("role", list(EXPECTED))
def test_capabilities_per_role(role):
    granted = {name for name, allowed in capabilities(role).items() if allowed}
    assert granted == EXPECTED[role]


@pytest.mark.django_db
def test_navigation_offers_payouts_and_deals_by_capability(world):
    finance = world.client("partner_finance")
    sales = world.client("partner_sales")
    finance_page = finance.get("/").content.decode()
    sales_page = sales.get("/").content.decode()
    assert 'href="/payouts/"' in finance_page
    assert 'href="/deals/"' not in finance_page
    assert 'href="/deals/"' in sales_page
    assert 'href="/payouts/"' not in sales_page
