"""No user enumeration: sign-in, password reset and invitations answer alike for an address
that has an account (even vendor staff) and one that has none."""

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from partners.models import Invitation, Membership

pytestmark = [pytest.mark.django_db, pytest.mark.reliability("attack", "no user enumeration")]


def _login_page(email: str) -> tuple[int, str]:
    response = Client().post(reverse("account_login"), {"login": email, "password": "wrong-pw"})
    body = response.content.decode().replace(email, "EMAIL")
    errors = body[body.find('class="alert') : body.find("</form>")]
    return response.status_code, errors


def test_login_answers_alike_for_known_and_unknown_addresses(world):
    assert _login_page("admin@a.test") == _login_page("nobody@nowhere.test")


def test_password_reset_answers_alike(world, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": "admin@vendor.test"})
        unknown = client.post(reverse("account_reset_password"), {"email": "ghost@vendor.test"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 2  # each address gets a message: a link, or "no account here"


def _invite(client, code: str, email: str):
    response = client.post(
        reverse("invitation_create", kwargs={"code": code}), {"email": email, "role": "sales"}
    )
    shown = [str(m).replace(email, "EMAIL") for m in get_messages(response.wsgi_request)]
    return response.status_code, response["Location"], shown


@pytest.mark.parametrize(
    "address", ["admin@vendor.test", "cm@vendor.test", "admin@b.test"], ids=["vendor", "cm", "user"]
)
def test_inviting_an_existing_address_answers_like_an_unknown_one(world, address):
    known = _invite(world.client("partner_admin"), "P-A", address)
    unknown = _invite(world.client("partner_admin"), "P-A", "stranger@elsewhere.test")
    assert known == unknown
    assert known[2] == ["An invitation was sent to EMAIL."]
    assert Invitation.objects.filter(email=address).exists()


def test_vendor_staff_cannot_join_through_such_an_invitation(world):
    from partners.services import invitation_accept
    from prm.core.errors import DomainError

    _invite(world.client("partner_admin"), "P-A", "cm@vendor.test")
    invitation = Invitation.objects.get(email="cm@vendor.test")
    with pytest.raises(DomainError):
        invitation_accept(invitation=invitation, user=world.users["cm_assigned"])
    assert not Membership.objects.filter(user=world.users["cm_assigned"]).exists()
