"""The two dashboards: what each role is shown, scoped to what it may see, and the list filters
the vendor tiles link to."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import Sale
from dashboards.selectors import partner_dashboard, vendor_dashboard
from disputes.models import Case
from partners.models import AnnouncementRead, DealRegistration, Partner, Target
from partners.periods import current_period
from partners.selectors.directory import reading_scope_shape
from partners.services import partner_assign_account_manager
from tests.agreements.factories import ProductFactory
from tests.factories import PartnerFactory

from .dashboard_data import seed_partner

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(world):
    now = timezone.now()
    seed_partner(
        world.partner,
        now=now,
        raised_by=world.users["partner_sales"],
        reader=world.users["partner_admin"],
        review_overdue=True,
    )
    seed_partner(world.other_partner, now=now, reader=world.users["other_partner"])
    return world


def _tiles(response) -> dict:
    return {tile["key"]: tile for tile in response.context["tiles"]}


# --- vendor ------------------------------------------------------------------------------------


def test_vendor_admin_sees_every_partner_needing_attention(seeded):
    response = seeded.client("vendor_admin").get("/")

    assert response.status_code == 200
    tiles = _tiles(response)
    counts = {key: tile["count"] for key, tile in tiles.items()}
    assert counts == {
        "breached": 4,
        "escalated": 2,
        "deals": 4,
        "proposals": 2,
        "agreements": 2,
        "reviews_due": 1,
        "reviews_overdue": 1,
        "statements": 2,
        "flagged": 0,
        "fund_requests": 2,
        "fund_claims": 2,
        "protection_claims": 2,
        "health_falling": 0,
    }
    assert tiles["breached"]["url"] == "/disputes/?status=breached"
    assert tiles["escalated"]["url"] == "/disputes/?status=escalated"
    assert tiles["deals"]["url"] == "/deals/?status=pending"
    assert tiles["agreements"]["url"] == "/agreements/?status=expiring"
    assert tiles["statements"]["url"] == "/payouts/?status=draft"
    assert tiles["flagged"]["url"] == "/partners/?flagged=on"
    assert tiles["reviews_overdue"]["url"] == f"{_review_list()}?status=overdue"
    assert tiles["fund_requests"]["url"] == "/funds/#queue-heading"
    assert tiles["fund_claims"]["url"] == "/funds/#claim-queue-heading"
    assert tiles["protection_claims"]["url"] == "/funds/protection/"
    assert tiles["breached"]["urgent"]
    assert not tiles["flagged"]["urgent"]
    body = response.content.decode()
    assert "deal registrations to review" in body
    assert "draft statements to approve" in body
    assert "price-protection claims awaiting review" in body
    assert response.context["action_item_count"] == 4
    assert response.context["action_items_overdue_count"] == 2
    assert [review.is_overdue for review in response.context["reviews_due"]] == [True, False]


def _review_list():
    return reverse("review_list")


def test_breached_cases_are_listed_oldest_first_with_their_age(seeded):
    response = seeded.client("vendor_admin").get("/")

    cases = response.context["breached_cases"]
    assert [case.age_days for case in cases] == [20, 20, 2, 2]
    assert all(case.escalated_at for case in cases[:2])
    body = response.content.decode()
    assert "20 days" in body
    assert 'id="breached-cases"' in body


def test_channel_manager_sees_only_assigned_partners(seeded):
    manager = seeded.client("cm_assigned").get("/")
    counts = {key: tile["count"] for key, tile in _tiles(manager).items()}
    assert counts["breached"] == 2
    assert counts["deals"] == 2
    assert counts["statements"] == 1
    assert counts["fund_requests"] == counts["fund_claims"] == counts["protection_claims"] == 1
    assert {d.partner.code for d in manager.context["pending_deals"]} == {"P-A"}
    assert {s.partner.code for s in manager.context["draft_statements"]} == {"P-A"}
    assert {i.partner.code for i in manager.context["action_items"]} == {"P-A"}
    assert "draft statement awaiting approval" in manager.content.decode()

    nobody = seeded.client("cm_unassigned").get("/")
    assert all(tile["count"] == 0 for tile in nobody.context["tiles"])
    assert nobody.context["breached_cases"] == []
    assert nobody.context["action_items"] == []
    assert "Every open case is within its deadlines." in nobody.content.decode()


def test_flagged_partners_tile_and_list(world):
    Partner.objects.filter(pk=world.partner.pk).update(
        credit_limit=Decimal("100"), overdue_receivables=Decimal("500")
    )
    Partner.objects.filter(pk=world.other_partner.pk).update(risk_rating="high")

    admin = world.client("vendor_admin").get("/")
    manager = world.client("cm_assigned").get("/")

    assert _tiles(admin)["flagged"]["count"] == 2
    assert [p.code for p in admin.context["flagged_partners"]] == ["P-A", "P-B"]
    assert _tiles(manager)["flagged"]["count"] == 1
    assert "Over credit limit" in manager.content.decode()


def test_open_cases_by_age_chart_reads_without_colour(seeded):
    body = seeded.client("vendor_admin").get("/").content.decode()

    assert 'role="img"' in body
    assert 'aria-labelledby="age-chart-title age-chart-desc"' in body
    assert '<desc id="age-chart-desc">Under 1 day: 2; 1–3 days: 2; 3–7 days: 0;' in body
    assert 'id="age-table"' in body
    assert 'class="chart-value"' in body


def test_vendor_dashboard_selector_counts_at_a_given_time(world):
    now = timezone.now()
    seed_partner(world.partner, now=now)

    later = vendor_dashboard(user=world.users["vendor_admin"], now=now + dt.timedelta(days=8))

    assert later.reviews_overdue_count == 1
    assert later.reviews_due_count == 0
    # The case within its deadlines breaches its first response 8 hours in.
    assert later.breached_count == 3


def test_a_paused_clock_does_not_breach(world):
    now = timezone.now()
    Case.objects.create(
        kind=Case.Kind.OTHER,
        subject="Waiting",
        description="x",
        partner=world.partner,
        status=Case.Status.WAITING_ON_PARTNER,
        first_responded_at=now - dt.timedelta(days=1),
        first_response_due=now - dt.timedelta(days=1),
        resolution_due=now + dt.timedelta(hours=1),
        paused_at=now - dt.timedelta(hours=2),
    )

    board = vendor_dashboard(user=world.users["vendor_admin"], now=now + dt.timedelta(days=3))

    assert board.breached_count == 0
    assert board.open_case_count == 1


# --- partner -----------------------------------------------------------------------------------


def test_partner_admin_sees_the_whole_organisation_picture(seeded):
    response = seeded.client("partner_admin").get("/")

    context = response.context
    assert context["partner"] == seeded.partner
    assert context["open_case_count"] == 3
    assert context["breached_case_count"] == 2
    assert context["unread_count"] == 1  # the product update was read by this user
    assert [a.title for a in context["unread_announcements"]] == ["Price change P-A 0"]
    assert context["acknowledgement_count"] == 1
    assert context["next_review"].location == "Taipei office"
    assert context["next_review"].is_overdue
    assert context["action_item_count"] == 2
    assert context["pending_deal_count"] == 2
    assert len(context["awaiting_proposals"]) == 1
    assert [bar["period"] for bar in context["trend"]["bars"]] == [
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    body = response.content.decode()
    assert 'id="payout-trend"' in body
    assert 'id="payout-trend-table"' in body
    assert "Taipei office" in body
    assert "Price change P-A 0" in body
    assert "P-B" not in body
    assert "overdue by" in body  # the SLA countdown of a breached case
    # Funds: 10,000 less the pending request and the approved one (1,000 each).
    assert context["fund_available"] == Decimal("8000.00")
    assert [b.fund.code for b in context["fund_budgets"]] == ["mdf-p-a-0"]
    assert 'id="fund-balances"' in body
    assert context["protection_claim_count"] == 1
    [claim] = context["protection_claims"]
    assert claim.status == "open"
    assert claim.product.sku == "PP-P-A-0"
    assert claim.days_left == 20
    assert f"/funds/protection/{claim.pk}/" in body
    assert 'id="tile-protection"' in body


def test_unread_is_per_user(seeded):
    finance = seeded.client("partner_finance").get("/")
    assert finance.context["unread_count"] == 2

    AnnouncementRead.objects.create(
        announcement=finance.context["unread_announcements"][0],
        user=seeded.users["partner_finance"],
    )
    assert seeded.client("partner_finance").get("/").context["unread_count"] == 1


def test_partner_finance_sees_payouts_but_not_deals(seeded):
    response = seeded.client("partner_finance").get("/")

    assert response.context["show_payouts"]
    assert response.context["trend"]["bars"]
    assert not response.context["show_deals"]
    assert response.context["pending_deal_count"] is None
    body = response.content.decode()
    assert 'id="tile-deals"' not in body
    assert 'id="proposals-heading"' not in body


def test_partner_sales_sees_no_payouts_and_only_the_cases_it_raised(seeded):
    response = seeded.client("partner_sales").get("/")

    assert not response.context["show_payouts"]
    assert response.context["trend"] is None
    assert response.context["open_case_count"] == 2  # the escalated one was raised by the vendor
    assert response.context["pending_deal_count"] == 2
    body = response.content.decode()
    assert "payout-trend" not in body
    assert "Payout trend" not in body
    assert 'id="tile-deals"' in body
    assert 'id="tile-protection"' not in body
    assert response.context["protection_claims"] == []
    assert response.context["fund_available"] == Decimal("8000.00")


def test_another_partner_sees_only_its_own(seeded):
    response = seeded.client("other_partner").get("/")

    assert response.context["partner"] == seeded.other_partner
    assert response.context["open_case_count"] == 3
    body = response.content.decode()
    assert "P-A" not in body
    assert "Acme" not in body


def test_sales_vs_target_shows_the_attainment_in_words_and_as_a_bar(world):
    Target.objects.create(
        partner=world.partner,
        period=current_period(),
        currency="TWD",
        amount=Decimal("1000"),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )
    Sale.objects.create(
        external_id="S-1",
        partner=world.partner,
        product=ProductFactory(),
        customer_name="Customer",
        invoice_date=timezone.localdate(),
        kind="sale",
        quantity=Decimal("1"),
        net_amount=Decimal("875"),
        currency="TWD",
    )

    response = world.client("partner_admin").get("/")

    assert response.context["attainment_width"] == 87
    body = response.content.decode()
    assert "87.5%" in body
    assert "progress-bar w-87" in body
    assert 'aria-valuetext="87.5%"' in body
    assert "TWD 875.00 of TWD 1,000.00" in body


def test_attainment_bar_is_capped_at_full(world):
    now = timezone.now()
    Target.objects.create(
        partner=world.partner,
        period=current_period(),
        currency="TWD",
        amount=Decimal("100"),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )
    Sale.objects.create(
        external_id="S-2",
        partner=world.partner,
        product=ProductFactory(),
        customer_name="Customer",
        invoice_date=timezone.localdate(),
        kind="sale",
        quantity=Decimal("1"),
        net_amount=Decimal("250"),
        currency="TWD",
    )
    board = partner_dashboard(
        user=world.users["partner_admin"],
        partner=world.partner,
        now=now,
        show_payouts=False,
        show_deals=False,
        show_proposals=False,
    )
    assert board.attainment_width == 100
    assert board.scorecard_row.attainment == Decimal("250.0")


def test_empty_partner_dashboard_says_so(world):
    body = world.client("partner_admin").get("/").content.decode()
    assert "No target yet" in body
    assert "No open cases." in body
    assert "No statements yet." in body
    assert "No business review is scheduled." in body
    assert "You have read every announcement." in body
    assert "No open action items." in body


def test_unaffiliated_user_sees_guidance(db):
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory())
    assert "No organisation yet" in client.get("/").content.decode()


def test_anonymous_goes_to_login(world):
    response = world.client("anonymous").get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- the filters the tiles link to -------------------------------------------------------------


def test_case_list_filters_breached_and_escalated(seeded):
    client = seeded.client("cm_assigned")

    breached = client.get("/disputes/?status=breached")
    escalated = client.get("/disputes/?status=escalated")
    active = client.get("/disputes/?status=active")

    assert len(breached.context["rows"]) == 2
    assert all(
        sla["first_breached"] or sla["resolution_breached"] for _c, sla in breached.context["rows"]
    )
    assert [case.escalated_at is not None for case, _sla in escalated.context["rows"]] == [True]
    assert len(active.context["rows"]) == 3
    assert 'value="breached" selected' in breached.content.decode()


def test_extra_partners_for_the_channel_manager_count_too(world):
    now = timezone.now()
    extra = PartnerFactory(code="P-C")
    partner_assign_account_manager(
        partner=extra, manager=world.users["cm_assigned"], actor=world.users["vendor_admin"]
    )
    seed_partner(extra, now=now)

    board = vendor_dashboard(user=world.users["cm_assigned"], now=now)

    assert board.pending_deal_count == 2
    assert board.expiring_count == 1
    assert [a.days_left for a in board.expiring_agreements] == [30]


def test_a_manager_of_every_partner_reads_the_board_of_every_partner(seeded):
    """Granted every partner, a channel manager's dashboard is read as a vendor admin's, without
    the grants; a partner outside the grants brings the grants back into every count."""
    manager, admin = seeded.users["cm_assigned"], seeded.users["vendor_admin"]
    partner_assign_account_manager(partner=seeded.other_partner, manager=manager, actor=admin)
    now = timezone.now()

    assert reading_scope_shape(manager) == ("all",)
    every = vars(vendor_dashboard(user=manager, now=now))
    assert every == vars(vendor_dashboard(user=admin, now=now))
    assert every["pending_deal_count"] == 4

    outside = PartnerFactory(code="P-Z")
    seed_partner(outside, now=now)

    # A request's user: what the user's permissions tell is read once per user object.
    manager = type(manager).objects.get(pk=manager.pk)
    assert reading_scope_shape(manager)[0] == "managed"
    board = vendor_dashboard(user=manager, now=now)
    assert board.pending_deal_count == 4
    assert vendor_dashboard(user=admin, now=now).pending_deal_count == 6
    assert "P-Z" not in {deal.partner.code for deal in board.pending_deals}


def test_each_kind_of_partner_scope_counts_and_lists_its_own_partners(world):
    """Users whose scopes have the same shape share the compiled queries, each with their own
    partners: grants of their own, grants through a group, or every partner."""
    from django.contrib.auth.models import Group, Permission
    from guardian.shortcuts import assign_perm

    from tests.factories import ChannelManagerFactory

    now = timezone.now()
    partners = {code: PartnerFactory(code=code) for code in ("P-D", "P-E", "P-F")}
    for copies, partner in enumerate(partners.values(), start=1):
        seed_partner(partner, now=now, copies=copies)
    seed_partner(world.partner, now=now)
    direct = ChannelManagerFactory(email="direct@vendor.test")
    partner_assign_account_manager(
        partner=partners["P-D"], manager=direct, actor=world.users["vendor_admin"]
    )
    grouped = ChannelManagerFactory(email="grouped@vendor.test")
    group = Group.objects.create(name="East")
    grouped.groups.add(group)
    assign_perm("partners.manage_partner", group, partners["P-E"])
    everyone = ChannelManagerFactory(email="everyone@vendor.test")
    everyone.user_permissions.add(Permission.objects.get(codename="view_all_partners"))

    def pending(user):
        board = vendor_dashboard(user=user, now=now)
        return board.pending_deal_count, sorted({d.partner.code for d in board.pending_deals})

    assert pending(world.users["cm_assigned"]) == (2, [world.partner.code])
    assert pending(direct) == (2, ["P-D"])
    assert pending(world.users["cm_unassigned"]) == (0, [])
    assert pending(grouped) == (4, ["P-E"])
    every = DealRegistration.objects.filter(status=DealRegistration.Status.PENDING)
    assert pending(everyone)[0] == every.count()
    assert pending(world.users["vendor_admin"])[0] == every.count()
