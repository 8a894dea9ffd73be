"""POST /api/v1/deals/ and friends: token or session, scoped like the pages."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from partners.models import DealRegistration
from prm.accounts.services import api_token_rotate

from ..factories import MembershipFactory
from .factories import DealLineFactory, DealRegistrationFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def _token_client(user, **headers) -> Client:
    _token, secret = api_token_rotate(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", **headers)


def _payload(**overrides):
    DealLineFactory(code="NET")
    DealLineFactory(code="SEC")
    TerritoryFactory(code="TW-TPE")
    payload = {
        "customer_name": "台灣積體電路製造股份有限公司",
        "customer_tax_id": "22099131",
        "territory": "TW-TPE",
        "product_lines": ["NET", "SEC"],
        "estimated_value": "4800000.00",
        "currency": "TWD",
        "expected_close": (timezone.localdate() + dt.timedelta(days=45)).isoformat(),
    }
    payload.update(overrides)
    return payload


def _post(client, payload):
    return client.post(reverse("api:deal-list"), payload, content_type="application/json")


def test_register_a_deal_by_token(world):
    client = _token_client(world.users["partner_sales"])

    response = _post(client, _payload())

    assert response.status_code == 201
    data = response.json()
    deal = DealRegistration.objects.get()
    assert data == {
        "id": deal.pk,
        "number": deal.number,
        "partner": "P-A",
        "customer_name": "台灣積體電路製造股份有限公司",
        "customer_tax_id": "22099131",
        "customer_domain": "",
        "territory": "TW-TPE",
        "product_lines": ["NET", "SEC"],
        "estimated_value": "4800000.00",
        "currency": "TWD",
        "expected_close": deal.expected_close.isoformat(),
        "description": "",
        "status": "pending",
        "conflict": False,
        "protected_until": None,
        "decision_reason": "",
        "decided_at": None,
        "created_at": data["created_at"],
    }
    assert deal.registered_by == world.users["partner_sales"]


def test_a_conflict_is_reported_without_the_other_partners_name(world):
    DealRegistrationFactory(
        partner=world.other_partner,
        customer_name="Taiwan Semiconductor Manufacturing Co., Ltd.",
        customer_tax_id="22-099-131",
        product_lines=[DealLineFactory(code="NET")],
    )
    response = _post(_token_client(world.users["partner_admin"]), _payload())
    assert response.status_code == 201
    assert response.json()["conflict"] is True
    text = response.content.decode()
    assert "P-B" not in text
    assert "Bravo" not in text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_tax_id": "", "customer_domain": ""}, "customer_tax_id"),
        ({"customer_name": ""}, "customer_name"),
        ({"customer_name": "..."}, "customer_name"),
        ({"territory": "XX-NOPE"}, "territory"),
        ({"product_lines": []}, "product_lines"),
        ({"product_lines": ["NOPE"]}, "product_lines"),
        ({"estimated_value": 1234.5}, "estimated_value"),
        ({"estimated_value": "-1"}, "estimated_value"),
        ({"estimated_value": "12.345"}, "estimated_value"),
        ({"currency": "XYZ"}, "currency"),
        ({"expected_close": "2026/01/01"}, "expected_close"),
        ({"expected_close": "2001-01-01"}, "expected_close"),
    ],
)
def test_bad_input_answers_400_with_the_field(world, overrides, field):
    response = _post(_token_client(world.users["partner_sales"]), _payload(**overrides))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not DealRegistration.objects.exists()


def test_an_integer_amount_is_accepted(world):
    response = _post(_token_client(world.users["partner_sales"]), _payload(estimated_value=1000))
    assert response.status_code == 201
    assert response.json()["estimated_value"] == "1000.00"


@pytest.mark.parametrize("role", ["partner_finance", "vendor_admin", "cm_assigned"])
def test_only_partner_admins_and_sales_register(world, role):
    response = _post(world.client(role), _payload())
    assert response.status_code == 403
    assert not DealRegistration.objects.exists()


def test_session_auth_needs_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["partner_sales"])
    assert _post(client, _payload()).status_code == 403


def test_x_partner_header_registers_for_the_chosen_organisation(world):
    user = world.users["partner_sales"]
    MembershipFactory(user=user, partner=world.other_partner, role="sales")
    response = _post(_token_client(user, HTTP_X_PARTNER="P-B"), _payload())
    assert response.status_code == 201
    assert response.json()["partner"] == "P-B"


def test_list_and_detail_are_scoped(world):
    own = DealRegistrationFactory(partner=world.partner)
    foreign = DealRegistrationFactory(partner=world.other_partner)
    client = _token_client(world.users["partner_sales"])
    listed = client.get(reverse("api:deal-list")).json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    assert client.get(reverse("api:deal-detail", kwargs={"pk": own.pk})).status_code == 200
    assert client.get(reverse("api:deal-detail", kwargs={"pk": foreign.pk})).status_code == 404
    vendor = world.client("vendor_admin").get(reverse("api:deal-list")).json()
    assert vendor["count"] == 2
    pending = world.client("vendor_admin").get(reverse("api:deal-list"), {"status": "approved"})
    assert pending.json()["count"] == 0


def test_the_schema_documents_the_deal_endpoint(db):
    schema = Client().get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/deals/"]["post"]
    assert "requestBody" in post
    assert "201" in post["responses"]
