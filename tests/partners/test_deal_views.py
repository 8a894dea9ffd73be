"""Deal pages: list (/deals/), register, detail, approve and reject."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import DealRegistration

from ..factories import PartnerFactory
from .factories import DealLineFactory, DealRegistrationFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def _form(**overrides):
    DealLineFactory(code="NET")
    DealLineFactory(code="SEC")
    TerritoryFactory(code="TW-TPE")
    data = {
        "customer_name": "Acme Inc.",
        "customer_tax_id": "12345678",
        "customer_domain": "",
        "territory": "TW-TPE",
        "product_lines": ["NET", "SEC"],
        "estimated_value": "1250000.50",
        "currency": "TWD",
        "expected_close": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "description": "Campus refresh",
    }
    data.update(overrides)
    return data


def test_the_deal_list_lives_at_slash_deals(world):
    assert reverse("deal_list") == "/deals/"


def test_partner_sales_registers_a_deal(world):
    client = world.client("partner_sales")
    assert client.get(reverse("deal_create")).status_code == 200

    response = client.post(reverse("deal_create"), _form(), follow=True)

    deal = DealRegistration.objects.get()
    assert response.redirect_chain[-1][0] == reverse("deal_detail", kwargs={"pk": deal.pk})
    assert deal.partner == world.partner
    assert deal.registered_by == world.users["partner_sales"]
    assert str(deal.estimated_value) == "1250000.50"
    assert sorted(deal.product_lines.values_list("code", flat=True)) == ["NET", "SEC"]
    body = response.content.decode()
    assert f"{deal.number} was registered and is waiting for review." in body
    assert "TWD 1,250,000.50" in body


def test_a_conflicting_registration_warns_without_naming_the_other_partner(world):
    DealRegistrationFactory(
        partner=world.other_partner,
        customer_name="ACME, Inc",
        customer_tax_id="99999999",
        product_lines=[DealLineFactory(code="NET")],
    )
    client = world.client("partner_sales")
    response = client.post(reverse("deal_create"), _form(), follow=True)
    body = response.content.decode()
    assert "another partner has already registered this customer" in body
    assert "Another partner's registration" in body
    assert "Bravo" not in body
    assert "P-B" not in body
    vendor = world.client("vendor_admin").get(response.redirect_chain[-1][0]).content.decode()
    assert "Bravo Distribution" in vendor


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"customer_tax_id": "", "customer_domain": ""}, "tax id or web domain"),
        ({"product_lines": []}, "This field is required."),
        ({"estimated_value": "0"}, "greater than or equal to 0.01"),
        ({"estimated_value": "1.234"}, "no more than 2 decimal places"),
        ({"expected_close": "2020-01-01"}, "in the past"),
        ({"territory": "XX-ZZZ"}, "Select a valid choice"),
    ],
)
def test_register_form_errors(world, overrides, error):
    response = world.client("partner_admin").post(reverse("deal_create"), _form(**overrides))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not DealRegistration.objects.exists()


def test_a_suspended_partner_cannot_register(world):
    world.partner.status = "suspended"
    world.partner.save(update_fields=["status"])
    response = world.client("partner_sales").post(reverse("deal_create"), _form())
    assert "Only an active partner can register deals." in response.content.decode()


def test_channel_manager_approves_and_the_partner_sees_the_protection(world):
    deal = DealRegistrationFactory(
        partner=world.partner, registered_by=world.users["partner_sales"]
    )
    client = world.client("cm_assigned")
    page = client.get(reverse("deal_detail", kwargs={"pk": deal.pk})).content.decode()
    assert "Approve and protect" in page

    response = client.post(
        reverse("deal_approve", kwargs={"pk": deal.pk}),
        {"reason": "Customer confirmed", "protection_days": "60"},
        follow=True,
    )

    deal.refresh_from_db()
    assert deal.status == "approved"
    assert deal.protected_until == timezone.localdate() + dt.timedelta(days=60)
    assert "was approved; the customer is protected until" in response.content.decode()
    partner_page = (
        world.client("partner_sales")
        .get(reverse("deal_detail", kwargs={"pk": deal.pk}))
        .content.decode()
    )
    assert "Protected until" in partner_page
    assert "Customer confirmed" in partner_page
    assert "Approve and protect" not in partner_page


def test_rejection_needs_a_reason_the_partner_sees(world):
    deal = DealRegistrationFactory(partner=world.partner)
    client = world.client("vendor_admin")
    missing = client.post(
        reverse("deal_reject", kwargs={"pk": deal.pk}), {"reason": ""}, follow=True
    )
    assert "This field is required." in missing.content.decode()
    client.post(reverse("deal_reject", kwargs={"pk": deal.pk}), {"reason": "Existing customer"})
    deal.refresh_from_db()
    assert (deal.status, deal.decision_reason) == ("rejected", "Existing customer")
    again = client.post(
        reverse("deal_approve", kwargs={"pk": deal.pk}), {"reason": "Oops"}, follow=True
    )
    assert "already decided" in again.content.decode()
    partner_page = (
        world.client("partner_admin")
        .get(reverse("deal_detail", kwargs={"pk": deal.pk}))
        .content.decode()
    )
    assert "Existing customer" in partner_page
    assert "rejected" in partner_page


def test_deal_list_is_scoped_and_filtered(world):
    own = DealRegistrationFactory(partner=world.partner, customer_name="Own Customer")
    DealRegistrationFactory(partner=world.other_partner, customer_name="Their Customer")
    flagged = DealRegistrationFactory(partner=world.partner, has_conflict=True, status="pending")
    DealRegistrationFactory(partner=PartnerFactory(), customer_name="Unassigned partner's")

    def numbers(role, **query):
        response = world.client(role).get(reverse("deal_list"), query)
        return sorted(d.pk for d in response.context["deals"])

    assert numbers("partner_sales") == sorted([own.pk, flagged.pk])
    assert numbers("other_partner") == [
        DealRegistration.objects.get(customer_name="Their Customer").pk
    ]
    assert numbers("cm_assigned") == sorted([own.pk, flagged.pk])
    assert numbers("cm_unassigned") == []
    assert len(numbers("vendor_admin")) == 4
    assert numbers("vendor_admin", conflict="1") == [flagged.pk]
    assert numbers("vendor_admin", q="own cust") == [own.pk]
    assert numbers("vendor_admin", q="P-B") == [
        DealRegistration.objects.get(customer_name="Their Customer").pk
    ]
    assert numbers("vendor_admin", status="approved") == []
    assert len(numbers("vendor_admin", status="bogus")) == 4


def test_deal_list_sorts_and_htmx_returns_the_table(world):
    small = DealRegistrationFactory(partner=world.partner, estimated_value="10.00")
    large = DealRegistrationFactory(partner=world.partner, estimated_value="99999.00")
    client = world.client("partner_admin")
    ascending = client.get(reverse("deal_list"), {"sort": "value"}).context["deals"]
    assert [d.pk for d in ascending] == [small.pk, large.pk]
    descending = client.get(reverse("deal_list"), {"sort": "-value"}).context["deals"]
    assert [d.pk for d in descending] == [large.pk, small.pk]
    response = client.get(reverse("deal_list"), {"sort": "value"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="deal-table"')


def _deals(partner, n):
    lines = [DealLineFactory(code="NET"), DealLineFactory(code="WLAN")]
    for _ in range(n):
        DealRegistrationFactory(partner=partner, product_lines=lines)


# session, user, [memberships], count, page rows, product lines of the page; a channel
# manager's "view all" check and grant facts come with the user (no query of their own).
QUERIES_DEAL_LIST = {"vendor_admin": 5, "cm_assigned": 5, "partner_sales": 6}


@pytest.mark.parametrize("role", list(QUERIES_DEAL_LIST))
def test_deal_list_runs_constant_queries(world, role, django_assert_num_queries):
    client = world.client(role)
    client.get(reverse("deal_list"))
    _deals(world.partner, 2)
    with django_assert_num_queries(QUERIES_DEAL_LIST[role]):
        client.get(reverse("deal_list"))
    _deals(world.partner, 40)
    _deals(world.other_partner, 10)
    with django_assert_num_queries(QUERIES_DEAL_LIST[role]):
        response = client.get(reverse("deal_list"), {"status": "pending", "sort": "-value"})
    assert len(response.context["deals"]) == 25


# session, user, [memberships], deal, its product lines, its conflicts.
QUERIES_DEAL_DETAIL = {"vendor_admin": 5, "partner_sales": 6}


@pytest.mark.parametrize("role", list(QUERIES_DEAL_DETAIL))
def test_deal_detail_runs_constant_queries(world, role, django_assert_num_queries):
    deal = DealRegistrationFactory(partner=world.partner, customer_name="Acme", customer_tax_id="1")
    client = world.client(role)
    url = reverse("deal_detail", kwargs={"pk": deal.pk})
    client.get(url)
    with django_assert_num_queries(QUERIES_DEAL_DETAIL[role]):
        client.get(url)
    for _ in range(5):
        other = DealRegistrationFactory(partner=PartnerFactory(), customer_tax_id="1")
        deal.conflicts.create(other=other, matched_on="tax_id")
    with django_assert_num_queries(QUERIES_DEAL_DETAIL[role]):
        response = client.get(url)
    assert len(response.context["conflicts"]) == 5
