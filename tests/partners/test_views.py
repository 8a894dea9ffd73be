import pytest
from django.urls import reverse

from partners.middleware import SESSION_KEY
from partners.services import partner_assign_account_manager

from ..factories import MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _grow(world, count: int) -> None:
    """Add `count` partners managed by cm_assigned, each with two users."""
    for _ in range(count):
        partner = PartnerFactory()
        partner_assign_account_manager(
            partner=partner, manager=world.users["cm_assigned"], actor=None
        )
        MembershipFactory.create_batch(2, partner=partner)


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned"])
def test_partner_list_runs_constant_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    url = reverse("partner_list")
    client.get(url)  # warm caches (content types, sessions)

    _grow(world, 3)
    with django_assert_num_queries(QUERIES_PARTNER_LIST[role]):
        small = client.get(url)
    _grow(world, 30)
    with django_assert_num_queries(QUERIES_PARTNER_LIST[role]):
        large = client.get(url)

    assert small.status_code == large.status_code == 200
    assert len(large.context["partners"]) == 25  # first page


# session, user, count, page rows; channel managers add the "view all" check (user and group
# permissions); guardian's grants are a join inside the count and the page query.
QUERIES_PARTNER_LIST = {"vendor_admin": 4, "cm_assigned": 6}


def test_partner_list_htmx_returns_only_the_table(world):
    client = world.client("vendor_admin")
    response = client.get(reverse("partner_list"), {"q": "acme"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="partner-table"')
    assert "P-A" in body
    assert "P-B" not in body
    assert "<nav" not in body.split("partner-table", 1)[0]


def test_partner_list_filters_by_status_and_ignores_unknown_status(world):
    client = world.client("vendor_admin")
    PartnerFactory(code="P-S", status="suspended")
    codes = [
        p.code
        for p in client.get(reverse("partner_list"), {"status": "suspended"}).context["partners"]
    ]
    assert codes == ["P-S"]
    everything = client.get(reverse("partner_list"), {"status": "bogus"}).context["partners"]
    assert len(everything) == 3


def test_partner_detail_runs_constant_queries(world, django_assert_num_queries):
    client = world.client("partner_admin")
    url = reverse("partner_detail", kwargs={"code": world.partner.code})
    client.get(url)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL):
        client.get(url)
    MembershipFactory.create_batch(10, partner=world.partner)
    with django_assert_num_queries(QUERIES_PARTNER_DETAIL):
        response = client.get(url)
    assert len(response.context["members"]) == 13


# session, user, memberships (middleware), partner, members, events
QUERIES_PARTNER_DETAIL = 6


def test_partner_detail_shows_profile_users_and_history(world):
    response = world.client("cm_assigned").get(reverse("partner_detail", kwargs={"code": "P-A"}))
    body = response.content.decode()
    assert "Acme Trading" in body
    assert "admin@a.test" in body
    assert "made cm@vendor.test the account manager" in body


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
    client = __import__("django.test", fromlist=["Client"]).Client()
    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "No organisation yet" in response.content.decode()
