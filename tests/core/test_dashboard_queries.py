"""Both dashboards run a fixed number of queries whatever the number of partners and rows: the
same count with 2 partners holding one set of rows each as with 25 partners and three sets for
the signed-in partner."""

from decimal import Decimal

import pytest
from django.utils import timezone

from partners.services import partner_assign_account_manager
from tests.factories import PartnerFactory

from .dashboard_data import seed_partner

pytestmark = pytest.mark.django_db

# Session, user (with a channel manager's permission facts), memberships for partner users,
# then the dashboard's own reads, per role (a partner's tier and account manager in one with the
# current target and its sales).
# Vendor staff read every count in one query and in one more every short list with rows, the
# events and the most-voted open ideas (over every partner, the drafts' rollup with them; a
# channel manager scoped to some partners reads the sums of the drafts apart, and no exchange
# rate is read since every draft here is in the reporting currency); the falling-health tile is
# counted with the others. A partner user's short list with no rows (its count is read with the
# tiles') costs no query; +1 for
# relationship health (the quarterly trend, whose newest is the current quarter's snapshot,
# stored by the first visit).
HEALTH_QUERIES = 1
EXPECTED_QUERIES = {
    "vendor_admin": 4,
    "cm_assigned": 5,
    "partner_admin": 15 + HEALTH_QUERIES,
    "partner_finance": 14 + HEALTH_QUERIES,
    "partner_sales": 12 + HEALTH_QUERIES,
}
# With no row to list: partner users read none of their five lists; vendor staff still read the
# events and ideas with whatever lists have rows, and a channel manager scoped to some partners
# no sums of drafts.
EMPTY_QUERIES = {role: count - 5 for role, count in EXPECTED_QUERIES.items()} | {
    "vendor_admin": 4,
    "cm_assigned": 4,
}


def _seed(world, *, large: bool) -> None:
    now = timezone.now()
    copies = 3 if large else 1
    seed_partner(
        world.partner,
        now=now,
        copies=copies,
        raised_by=world.users["partner_sales"],
        reader=world.users["partner_admin"],
    )
    seed_partner(world.other_partner, now=now, copies=copies, review_overdue=True)
    if large:
        for n in range(23):
            partner = PartnerFactory(code=f"P-X{n:02d}")
            partner_assign_account_manager(
                partner=partner,
                manager=world.users["cm_assigned"],
                actor=world.users["vendor_admin"],
            )
            seed_partner(partner, now=now, review_overdue=bool(n % 2))


@pytest.mark.parametrize("large", [False, True], ids=["2-partners", "25-partners"])
@pytest.mark.parametrize("role", list(EXPECTED_QUERIES))
def test_dashboard_query_count_is_constant(world, django_assert_num_queries, role, large):
    _seed(world, large=large)
    client = world.client(role)
    client.get("/")  # warm the per-process caches (content types), as on a running server

    with django_assert_num_queries(EXPECTED_QUERIES[role]):
        response = client.get("/")

    assert response.status_code == 200
    context = response.context
    if role in ("vendor_admin", "cm_assigned"):
        partners = 1 + (role == "vendor_admin")
        expected_deals = 2 * (partners * 3 + 23) if large else 2 * partners
        assert context["pending_deal_count"] == expected_deals
        assert len(context["pending_deals"]) == min(expected_deals, 5)
        assert len(context["action_items"]) == (8 if large else 2 * partners)
        expected_sets = (partners * 3 + 23) if large else partners
        assert context["fund_request_count"] == expected_sets
        assert context["fund_claim_count"] == expected_sets
        assert context["protection_claim_count"] == expected_sets
    else:
        assert context["action_item_count"] == (6 if large else 2)
        assert len(context["action_items"]) == context["action_item_count"]
        sets = 3 if large else 1
        assert len(context["fund_budgets"]) == sets
        assert context["fund_available"] == sets * Decimal("8000.00")
        if role in ("partner_admin", "partner_finance"):
            assert context["protection_claim_count"] == sets
            assert len(context["protection_claims"]) == sets
        else:
            assert context["protection_claim_count"] is None


@pytest.mark.parametrize("role", list(EXPECTED_QUERIES))
def test_empty_lists_cost_no_query(world, django_assert_max_num_queries, role):
    client = world.client(role)
    client.get("/")

    with django_assert_max_num_queries(EMPTY_QUERIES[role]):
        response = client.get("/")

    assert response.status_code == 200
