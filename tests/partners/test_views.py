import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from enablement.models import Certification
from enablement.services import certificate_earn
from partners.middleware import SESSION_KEY
from partners.models import Invitation, Membership, Partner, Target
from partners.periods import current_period
from partners.services import (
    invitation_create,
    partner_assign_account_manager,
    partner_award_grant,
    partner_risk_update,
    target_propose,
)
from prm.core.models import Event

from ..factories import MembershipFactory, PartnerFactory, UserFactory
from .factories import (
    AwardFactory,
    DealLineFactory,
    DealRegistrationFactory,
    SegmentFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db


def _grow(world, count: int) -> None:
    """Add `count` partners managed by cm_assigned, each with two users and a territory."""
    territory = TerritoryFactory(code="TW-TXG")
    for _ in range(count):
        partner = PartnerFactory()
        partner_assign_account_manager(
            partner=partner, manager=world.users["cm_assigned"], actor=None
        )
        partner.territories.add(territory)
        MembershipFactory.create_batch(2, partner=partner)


# --- the partner directory ---------------------------------------------------------------------

# session, user, filter choices (tiers, territories, account managers), count, page rows,
# territories of the page; a channel manager's "view all" check and grant facts come with the
# user (no query of their own). Attainment and member counts are subqueries of the page query.
# The count of a directory no filter narrows is a total kept by the database: every partner's
# for a vendor admin (one query in place of the count), a channel manager's read with the user.
QUERIES_PARTNER_LIST = {"vendor_admin": 8, "cm_assigned": 8}


def _partner_list_queries(role: str, query: dict) -> int:
    unfiltered = set(query) <= {"sort"}
    return QUERIES_PARTNER_LIST[role] - (role == "cm_assigned" and unfiltered)


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned"])
@pytest.mark.parametrize(
    "query",
    [{}, {"status": "active", "risk": "low", "territory": "TW"}, {"sort": "-attainment"}],
    ids=["first-page", "filtered", "sorted"],
)
def test_partner_list_runs_constant_queries(world, role, query, django_assert_num_queries):
    client = world.client(role)
    url = reverse("partner_list")
    client.get(url)  # warm caches (content types, sessions)

    _grow(world, 3)
    with django_assert_num_queries(_partner_list_queries(role, query)):
        small = client.get(url, query)
    _grow(world, 30)
    with django_assert_num_queries(_partner_list_queries(role, query)):
        large = client.get(url, query)

    assert small.status_code == large.status_code == 200
    if not query:
        assert len(large.context["partners"]) == 25  # first page


def test_partner_list_with_sales_runs_the_same_queries(
    sale_model, world, django_assert_num_queries
):
    client = world.client("vendor_admin")
    client.get(reverse("partner_list"))
    _grow(world, 3)
    with django_assert_num_queries(QUERIES_PARTNER_LIST["vendor_admin"]):
        client.get(reverse("partner_list"), {"sort": "attainment", "attainment": "none"})
    _grow(world, 30)
    with django_assert_num_queries(QUERIES_PARTNER_LIST["vendor_admin"]):
        client.get(reverse("partner_list"), {"sort": "attainment", "attainment": "none"})


def test_partner_list_htmx_returns_only_the_table(world):
    client = world.client("vendor_admin")
    response = client.get(reverse("partner_list"), {"q": "acme"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="partner-table"')
    assert "P-A" in body
    assert "P-B" not in body
    assert "<nav" not in body.split("partner-table", 1)[0]


def _codes(response) -> list[str]:
    return [p.code for p in response.context["partners"]]


def test_partner_list_filters(world):
    client = world.client("vendor_admin")
    url = reverse("partner_list")
    suspended = PartnerFactory(code="P-S", status="suspended", risk_rating="high")
    suspended.territories.add(TerritoryFactory(code="TW-KHH"))
    world.partner.territories.add(TerritoryFactory(code="HK"))
    cm = world.users["cm_assigned"]

    assert _codes(client.get(url, {"status": "suspended"})) == ["P-S"]
    assert _codes(client.get(url, {"status": "bogus"})) == ["P-A", "P-B", "P-S"]
    assert _codes(client.get(url, {"territory": "TW"})) == ["P-S"]  # a country covers TW-KHH
    assert _codes(client.get(url, {"territory": "HK"})) == ["P-A"]
    assert _codes(client.get(url, {"account_manager": str(cm.pk)})) == ["P-A"]
    assert _codes(client.get(url, {"account_manager": "none"})) == ["P-B", "P-S"]
    assert _codes(client.get(url, {"risk": "high"})) == ["P-S"]
    assert _codes(client.get(url, {"flagged": "on"})) == ["P-S"]
    assert _codes(client.get(url, {"tier": world.partner.tier.code, "q": "acme"})) == ["P-A"]


def test_partner_list_attainment_filter_without_sales(world, no_sale_model):
    Target.objects.create(
        partner=world.partner,
        period=current_period(),
        currency="TWD",
        amount=Decimal("100"),
        status=Target.Status.AGREED,
        agreed_at=timezone.now(),
    )
    client = world.client("vendor_admin")
    assert _codes(client.get(reverse("partner_list"), {"attainment": "none"})) == ["P-A", "P-B"]
    assert _codes(client.get(reverse("partner_list"), {"attainment": "100plus"})) == []
    body = client.get(reverse("partner_list")).content.decode()
    assert "no sales yet" in body  # a target is agreed, sales are not there yet


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("code", ["P-A", "P-B", "P-C"]),
        ("-code", ["P-C", "P-B", "P-A"]),
        ("name", ["P-A", "P-B", "P-C"]),
        ("-name", ["P-C", "P-B", "P-A"]),
        ("risk", ["P-A", "P-B", "P-C"]),
        ("-risk", ["P-C", "P-B", "P-A"]),
        ("overdue", ["P-A", "P-B", "P-C"]),
        ("status", ["P-C", "P-A", "P-B"]),
        ("tier", ["P-B", "P-A", "P-C"]),
        ("nonsense", ["P-A", "P-B", "P-C"]),
    ],
)
def test_partner_list_sorts(world, sort, expected):
    from ..factories import TierFactory

    Partner.objects.filter(pk=world.partner.pk).update(tier=TierFactory(code="sort-mid", rank=2))
    Partner.objects.filter(pk=world.other_partner.pk).update(
        risk_rating="medium",
        overdue_receivables=Decimal("10"),
        tier=TierFactory(code="sort-low", rank=1),
    )
    PartnerFactory(
        code="P-C",
        name="Zulu",
        status="onboarding",
        risk_rating="high",
        overdue_receivables=Decimal("20"),
        tier=TierFactory(code="sort-high", rank=3),
    )
    response = world.client("vendor_admin").get(reverse("partner_list"), {"sort": sort})
    assert _codes(response) == expected


def test_partner_list_sort_links_keep_the_filters(world):
    body = (
        world.client("vendor_admin")
        .get(reverse("partner_list"), {"status": "active", "sort": "name"})
        .content.decode()
    )
    assert 'href="?status=active&amp;sort=-name"' in body
    assert 'aria-sort="ascending"' in body


def test_flagged_partners_show_in_the_list(world):
    partner_risk_update(
        partner=world.partner,
        actor=world.users["vendor_admin"],
        risk_rating="low",
        credit_limit=Decimal("1000"),
        overdue_receivables=Decimal("2500"),
        reason="Late",
    )
    body = world.client("cm_assigned").get(reverse("partner_list")).content.decode()
    assert "Over credit limit" in body
    assert "TWD 2,500.00" in body


# --- the 360° page -----------------------------------------------------------------------------


def _fill_partner(world, n: int) -> None:
    """n more users (each certified), deals (with product lines), awards, risk assessments and
    events."""
    partner = world.partner
    certification, _ = Certification.objects.get_or_create(
        code="NET-PRO", defaults={"name": "Networking Pro", "validity_months": 24}
    )
    for membership in MembershipFactory.create_batch(n, partner=partner, role="sales"):
        certificate_earn(
            user=membership.user, certification=certification, earned=timezone.localdate()
        )
    lines = [DealLineFactory(code="NET"), DealLineFactory(code="SEC")]
    for _ in range(n):
        DealRegistrationFactory(partner=partner, product_lines=lines)
    for year in range(n):
        partner_award_grant(
            partner=partner,
            award=AwardFactory(),
            awarded_on=dt.date(1900 + partner.awards.count(), 1, 1),
            actor=world.users["vendor_admin"],
        )
        partner_risk_update(
            partner=partner,
            actor=world.users["vendor_admin"],
            risk_rating="low",
            credit_limit=Decimal("1000"),
            overdue_receivables=Decimal("0"),
            reason=f"Review {year}",
        )
    partner.territories.add(TerritoryFactory(code=f"TW-T{n:02d}"))
    partner.segments.add(SegmentFactory(code=f"seg-{n}"))


# session, user, [memberships: partner users], partner, territories, segments, open deals,
# their product lines, members, pending invitations, targets, events, awards, risk history,
# milestones, agreements, open cases (for partner users the case scope also reads the user's
# memberships), the next business review, open action items, certified people.
# Relationship health adds 1: the quarterly trend, whose newest is the current quarter's
# snapshot (stored by the first visit).
HEALTH_QUERIES = 1
QUERIES_PARTNER_DETAIL = {
    "vendor_admin": 19 + HEALTH_QUERIES,
    "cm_assigned": 19 + HEALTH_QUERIES,
    "partner_admin": 21 + HEALTH_QUERIES,
}


@pytest.mark.parametrize("role", list(QUERIES_PARTNER_DETAIL))
def test_partner_detail_runs_constant_queries(
    world, role, no_sale_model, django_assert_num_queries
):
    client = world.client(role)
    url = reverse("partner_detail", kwargs={"code": world.partner.code})
    _fill_partner(world, 1)
    client.get(url)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL[role]):
        client.get(url)
    _fill_partner(world, 12)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL[role]):
        response = client.get(url)
    assert len(response.context["members"]) == 16
    assert len(response.context["overview"].open_deals) == 10
    assert response.context["overview"].open_deal_count_capped
    (certified,) = response.context["certified"]
    assert certified.count == 13


def test_partner_detail_with_sales_adds_one_query(sale_model, world, django_assert_num_queries):
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("10"),
        actor=world.users["cm_assigned"],
    )
    client = world.client("vendor_admin")
    url = reverse("partner_detail", kwargs={"code": world.partner.code})
    _fill_partner(world, 1)
    client.get(url)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL["vendor_admin"] + 1):
        client.get(url)
    _fill_partner(world, 8)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL["vendor_admin"] + 1):
        client.get(url)


def test_partner_detail_shows_profile_users_and_history(world):
    response = world.client("cm_assigned").get(reverse("partner_detail", kwargs={"code": "P-A"}))
    body = response.content.decode()
    assert "Acme Trading" in body
    assert "admin@a.test" in body
    assert "made cm@vendor.test the account manager" in body


def test_partner_detail_360_sections(world, no_sale_model):
    _fill_partner(world, 1)
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("5000"),
        actor=world.users["cm_assigned"],
    )
    vendor = world.client("cm_assigned").get(reverse("partner_detail", kwargs={"code": "P-A"}))
    body = vendor.content.decode()
    for text in (
        "Tier and benefits",
        "Territories and segments",
        "Sales vs target",
        "No sales yet",
        "Open deals",
        "DR-",
        "Recognition",
        "Distributor of the Year",
        "Financial risk",
        "Review 0",
        "Record a new assessment",
        "Change status",
        "Invite a user",
        "Recent activity",
    ):
        assert text in body, text
    partner_view = world.client("partner_finance").get(
        reverse("partner_detail", kwargs={"code": "P-A"})
    )
    body = partner_view.content.decode()
    assert "Financial risk" in body
    assert "Review 0" in body
    for vendor_only in ("Record a new assessment", "Change status", "Invite a user", "Open deals"):
        assert vendor_only not in body, vendor_only
    sales_body = (
        world.client("partner_sales")
        .get(reverse("partner_detail", kwargs={"code": "P-A"}))
        .content.decode()
    )
    assert "Open deals" in sales_body
    assert "Invite a user" not in sales_body
    admin_body = (
        world.client("partner_admin")
        .get(reverse("partner_detail", kwargs={"code": "P-A"}))
        .content.decode()
    )
    assert "Invite a user" in admin_body
    assert "Change status" not in admin_body


# --- onboarding ------------------------------------------------------------------------------


def test_vendor_admin_creates_a_partner_with_a_manager(world):
    client = world.client("vendor_admin")
    territory = TerritoryFactory(code="TW-TPE")
    response = client.post(
        reverse("partner_create"),
        {
            "code": "P-NEW",
            "name": "New Distribution",
            "local_name": "新經銷",
            "country": "TW",
            "currency": "TWD",
            "account_manager": world.users["cm_unassigned"].pk,
            "territories": [territory.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("partner_detail", kwargs={"code": "P-NEW"})
    partner = Partner.objects.get(code="P-NEW")
    assert partner.status == Partner.Status.PROSPECT
    assert partner.account_manager == world.users["cm_unassigned"]
    assert list(partner.territories.all()) == [territory]
    # The new manager can now see it.
    assert world.client("cm_unassigned").get(response["Location"]).status_code == 200


def test_a_channel_manager_creating_a_partner_manages_it(world):
    client = world.client("cm_unassigned")
    form_page = client.get(reverse("partner_create")).content.decode()
    assert 'name="account_manager"' not in form_page
    client.post(
        reverse("partner_create"),
        {"code": "P-CM", "name": "CM Co", "country": "TW", "currency": "TWD"},
    )
    assert Partner.objects.get(code="P-CM").account_manager == world.users["cm_unassigned"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code": "p-lower", "name": "x"}, "capital letters"),
        ({"code": "P-A", "name": "x"}, "already exists"),
        ({"code": "P-OK", "name": ""}, "required"),
    ],
)
def test_partner_create_shows_errors(world, data, error):
    response = world.client("vendor_admin").post(
        reverse("partner_create"), {"country": "TW", "currency": "TWD", **data}
    )
    assert response.status_code == 200
    assert error in response.content.decode()


def test_status_change_from_the_page_records_the_reason(world):
    client = world.client("cm_assigned")
    url = reverse("partner_status_change", kwargs={"code": "P-A"})
    response = client.post(url, {"status": "suspended", "reason": "Overdue"}, follow=True)
    world.partner.refresh_from_db()
    assert world.partner.status == "suspended"
    assert "The status is now Suspended." in response.content.decode()
    assert Event.objects.get(verb="partner.status_changed").reason == "Overdue"

    refused = client.post(url, {"status": "onboarding", "reason": "Back"}, follow=True)
    assert "cannot move from Suspended to Onboarding" in refused.content.decode()
    missing = client.post(url, {"status": "active", "reason": ""}, follow=True)
    assert "Reason: This field is required." in missing.content.decode()
    world.partner.refresh_from_db()
    assert world.partner.status == "suspended"


def test_risk_update_from_the_page(world):
    response = world.client("vendor_admin").post(
        reverse("partner_risk_update", kwargs={"code": "P-A"}),
        {
            "risk_rating": "high",
            "credit_limit": "100.00",
            "overdue_receivables": "0",
            "reason": "Litigation",
        },
    )
    assert response["Location"].endswith("#risk")
    world.partner.refresh_from_db()
    assert world.partner.risk_rating == "high"
    bad = world.client("vendor_admin").post(
        reverse("partner_risk_update", kwargs={"code": "P-A"}),
        {"risk_rating": "high", "credit_limit": "-1", "overdue_receivables": "0", "reason": "x"},
        follow=True,
    )
    assert "greater than or equal to 0" in bad.content.decode()
    assert world.partner.risk_assessments.count() == 1


# --- users and invitations -------------------------------------------------------------------


def test_partner_admin_invites_a_colleague(world, django_capture_on_commit_callbacks):
    client = world.client("partner_admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("invitation_create", kwargs={"code": "P-A"}),
            {"email": "colleague@a.test", "role": "finance"},
            follow=True,
        )
    assert "An invitation was sent to colleague@a.test." in response.content.decode()
    invitation = Invitation.objects.get(email="colleague@a.test")
    assert invitation.role == "finance"
    assert invitation.invited_by == world.users["partner_admin"]
    assert re.search(r"http://testserver/partners/invitations/[\w-]+/", mail.outbox[-1].body)
    page = client.get(reverse("partner_detail", kwargs={"code": "P-A"})).content.decode()
    assert "colleague@a.test" in page
    assert "Revoke" in page


def test_invitation_errors_are_shown(world):
    client = world.client("partner_admin")
    response = client.post(
        reverse("invitation_create", kwargs={"code": "P-A"}),
        {"email": "sales@a.test", "role": "finance"},
        follow=True,
    )
    assert "sales@a.test is already a member." in response.content.decode()
    response = client.post(
        reverse("invitation_create", kwargs={"code": "P-A"}),
        {"email": "not-an-email", "role": "finance"},
        follow=True,
    )
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_revoke_an_invitation(world):
    invitation = invitation_create(
        partner=world.partner,
        email="x@a.test",
        role="sales",
        actor=world.users["partner_admin"],
        site_url="http://testserver",
    )
    client = world.client("partner_admin")
    client.post(reverse("invitation_revoke", kwargs={"code": "P-A", "pk": invitation.pk}))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    again = client.post(
        reverse("invitation_revoke", kwargs={"code": "P-A", "pk": invitation.pk}), follow=True
    )
    assert "Only a pending invitation can be revoked." in again.content.decode()
    other = invitation_create(
        partner=world.other_partner,
        email="y@b.test",
        role="sales",
        actor=world.users["other_partner"],
        site_url="http://testserver",
    )
    # Another partner's invitation through this partner's URL: not found.
    assert (
        client.post(
            reverse("invitation_revoke", kwargs={"code": "P-A", "pk": other.pk})
        ).status_code
        == 404
    )


def test_partner_admin_changes_a_role(world):
    client = world.client("partner_admin")
    membership = Membership.objects.get(user=world.users["partner_sales"])
    response = client.post(
        reverse("membership_role_change", kwargs={"code": "P-A", "pk": membership.pk}),
        {"role": "finance"},
        follow=True,
    )
    membership.refresh_from_db()
    assert membership.role == "finance"
    assert "is now Finance." in response.content.decode()
    own = Membership.objects.get(user=world.users["partner_admin"])
    refused = client.post(
        reverse("membership_role_change", kwargs={"code": "P-A", "pk": own.pk}),
        {"role": "sales"},
        follow=True,
    )
    assert "at least one partner admin" in refused.content.decode()
    foreign = Membership.objects.get(user=world.users["other_partner"])
    assert (
        client.post(
            reverse("membership_role_change", kwargs={"code": "P-A", "pk": foreign.pk}),
            {"role": "sales"},
        ).status_code
        == 404
    )
    bad = client.post(
        reverse("membership_role_change", kwargs={"code": "P-A", "pk": membership.pk}),
        {"role": "owner"},
        follow=True,
    )
    assert "Select a valid choice." in bad.content.decode()


# --- switching organisation ------------------------------------------------------------------


def test_switcher_changes_the_current_partner(world):
    user = world.users["partner_finance"]
    MembershipFactory(user=user, partner=world.other_partner, role="sales")
    client = world.client("partner_finance")

    response = client.post(reverse("partner_switch"), {"partner": "P-B", "next": "/"})

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == world.other_partner.pk
    dashboard = client.get("/")
    assert dashboard.context["partner"] == world.other_partner
    # The previous organisation's detail page is now out of scope.
    assert client.get(reverse("partner_detail", kwargs={"code": "P-A"})).status_code == 404
    assert client.get(reverse("partner_detail", kwargs={"code": "P-B"})).status_code == 200


def test_switcher_refuses_a_partner_the_user_does_not_belong_to(world):
    client = world.client("partner_admin")
    response = client.post(reverse("partner_switch"), {"partner": "P-B"}, follow=True)
    assert response.context["partner"] == world.partner
    assert "not a member" in response.content.decode()


def test_switcher_ignores_an_offsite_next_url(world):
    client = world.client("partner_admin")
    response = client.post(
        reverse("partner_switch"), {"partner": "P-A", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_user_without_organisation_sees_guidance(db):
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "No organisation yet" in response.content.decode()


# --- dashboards --------------------------------------------------------------------------------


def test_vendor_dashboard_flags_risk_pending_deals_and_proposals(world):
    partner_risk_update(
        partner=world.partner,
        actor=world.users["vendor_admin"],
        risk_rating="high",
        credit_limit=Decimal("0"),
        overdue_receivables=Decimal("0"),
        reason="Litigation",
    )
    DealRegistrationFactory(partner=world.partner)
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("700"),
        actor=world.users["partner_admin"],
    )
    response = world.client("cm_assigned").get("/")
    body = response.content.decode()
    assert response.context["pending_deal_count"] == 1
    assert [p.code for p in response.context["flagged_partners"]] == ["P-A"]
    assert "deal registration to review" in body
    assert "Over credit limit or high risk" in body
    assert f"P-A · {current_period()}" in body
    # Someone else's partners are not counted.
    other = world.client("cm_unassigned").get("/")
    assert other.context["pending_deal_count"] == 0
    assert other.context["flagged_partners"] == []
    assert other.context["awaiting_proposals"] == []


def test_partner_dashboard_shows_target_deals_and_proposals(world, no_sale_model):
    DealRegistrationFactory(partner=world.partner)
    DealRegistrationFactory(partner=world.other_partner)
    target_propose(
        partner=world.partner,
        period=current_period(),
        amount=Decimal("700"),
        actor=world.users["cm_assigned"],
    )
    response = world.client("partner_admin").get("/")
    body = response.content.decode()
    assert response.context["pending_deal_count"] == 1
    assert len(response.context["awaiting_proposals"]) == 1
    assert "Under negotiation" in body
    assert "TWD 700.00" in body
