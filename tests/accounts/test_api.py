import pytest
from django.test import Client
from django.urls import reverse

from prm.accounts.services import api_token_rotate

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _token_client(user, **headers) -> Client:
    _token, secret = api_token_rotate(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}", **headers)


def test_me_for_a_partner_user_by_token(world):
    response = _token_client(world.users["partner_finance"]).get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json() == {
        "email": "finance@a.test",
        "full_name": world.users["partner_finance"].full_name,
        "language": "",
        "role": "partner_finance",
        "vendor_role": "",
        "current_partner": "P-A",
        "memberships": [{"partner": "P-A", "partner_name": "Acme Trading", "role": "finance"}],
    }


def test_me_for_vendor_staff(world):
    data = world.client("cm_assigned").get(reverse("api:me")).json()
    assert (data["role"], data["vendor_role"], data["current_partner"]) == (
        "channel_manager",
        "channel_manager",
        None,
    )


def test_x_partner_header_selects_among_the_users_organisations(world):
    user = world.users["partner_sales"]
    MembershipFactory(user=user, partner=world.other_partner, role="admin")
    client = _token_client(user, HTTP_X_PARTNER="P-B")
    me = client.get(reverse("api:me")).json()
    assert (me["current_partner"], me["role"]) == ("P-B", "partner_admin")
    assert [p["code"] for p in client.get(reverse("api:partner-list")).json()["results"]] == ["P-B"]


def test_x_partner_header_cannot_reach_a_foreign_partner(world):
    client = _token_client(world.users["partner_sales"], HTTP_X_PARTNER="P-B")
    # Naming an organisation the user does not belong to gives no role at all.
    assert client.get(reverse("api:me")).status_code == 403
    assert client.get(reverse("api:partner-detail", kwargs={"code": "P-B"})).status_code == 403


def test_partner_list_api_is_scoped(world):
    by_role = {
        role: [
            p["code"] for p in world.client(role).get(reverse("api:partner-list")).json()["results"]
        ]
        for role in (
            "vendor_admin",
            "cm_assigned",
            "cm_unassigned",
            "partner_admin",
            "other_partner",
        )
    }
    assert by_role == {
        "vendor_admin": ["P-A", "P-B"],
        "cm_assigned": ["P-A"],
        "cm_unassigned": [],
        "partner_admin": ["P-A"],
        "other_partner": ["P-B"],
    }


def test_bad_token_is_refused(db):
    response = Client(HTTP_AUTHORIZATION="Token not-a-token").get(reverse("api:me"))
    assert response.status_code == 401


def test_schema_is_valid_openapi_3(client):
    response = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "/api/v1/partners/{code}/" in schema["paths"]
    from openapi_spec_validator import validate

    validate(schema)


def test_api_docs_page_uses_local_assets(client):
    body = client.get(reverse("api-docs")).content.decode()
    assert "cdn" not in body.lower()
    assert "/static/drf_spectacular_sidecar/" in body
