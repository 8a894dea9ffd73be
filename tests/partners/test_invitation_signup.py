"""From the emailed link to a working account: allauth's sign-up opens for the invitation, the
invited address counts as verified, and the new user joins with the invited role."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from partners.middleware import SESSION_KEY
from partners.models import Invitation, Membership
from partners.services import invitation_create
from prm.accounts.models import User

from ..factories import TEST_PASSWORD, MembershipFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def _invite(world, email="newcomer@a.test", role="sales"):
    return invitation_create(
        partner=world.partner,
        email=email,
        role=role,
        actor=world.users["cm_assigned"],
        site_url="http://testserver",
        full_name="Nina Newcomer",
    )


def test_sign_up_is_closed_without_an_invitation(db, settings):
    settings.ACCOUNT_SIGNUP_OPEN = False
    response = Client().get(reverse("account_signup"))
    assert "Sign Up Closed" in response.content.decode()


def test_a_new_user_signs_up_through_the_invitation(world):
    invitation = _invite(world)
    client = Client()
    url = reverse("invitation_accept", kwargs={"key": invitation.plain_key})

    landing = client.get(url)
    body = landing.content.decode()
    assert landing.status_code == 200
    assert "Join Acme Trading" in body
    assert "Create your account" in body

    form = client.get(reverse("account_signup"))
    assert form.status_code == 200
    assert 'value="newcomer@a.test"' in form.content.decode()

    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@a.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")  # signed in, no verification detour
    user = User.objects.get(email="newcomer@a.test")
    assert user.full_name == "Nina Newcomer"
    assert EmailAddress.objects.get(user=user).verified
    membership = Membership.objects.get(user=user)
    assert (membership.partner, membership.role) == (world.partner, "sales")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    dashboard = client.get("/")
    assert dashboard.context["partner"] == world.partner
    assert client.session[SESSION_KEY] == world.partner.pk


def test_sign_up_through_an_invitation_must_use_the_invited_address(world):
    invitation = _invite(world)
    client = Client()
    client.get(reverse("invitation_accept", kwargs={"key": invitation.plain_key}))

    response = client.post(
        reverse("account_signup"),
        {"email": "someone.else@a.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Sign up with the address the invitation was sent to" in response.content.decode()
    assert not User.objects.filter(email="someone.else@a.test").exists()


def test_an_expired_invitation_does_not_open_sign_up(world, settings):
    settings.ACCOUNT_SIGNUP_OPEN = False
    invitation = _invite(world)
    client = Client()
    client.get(reverse("invitation_accept", kwargs={"key": invitation.plain_key}))
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = client.post(
        reverse("account_signup"),
        {"email": "newcomer@a.test", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert not User.objects.filter(email="newcomer@a.test").exists()
    assert "Sign Up Closed" in response.content.decode()
    landing = client.get(reverse("invitation_accept", kwargs={"key": invitation.plain_key}))
    assert "This invitation has expired." in landing.content.decode()


def test_an_existing_user_signs_in_then_joins(world):
    other_org_user = UserFactory(email="consultant@x.test")
    MembershipFactory(user=other_org_user, partner=PartnerFactory(), role="admin")
    invitation = _invite(world, email="consultant@x.test", role="finance")
    url = reverse("invitation_accept", kwargs={"key": invitation.plain_key})
    client = Client()

    landing = client.get(url).content.decode()
    assert "Sign in to accept" in landing
    assert client.post(url)["Location"].startswith(reverse("account_login"))

    client.post(reverse("account_login"), {"login": "consultant@x.test", "password": TEST_PASSWORD})
    joined = client.get(url).content.decode()
    assert "Join Acme Trading" in joined
    assert 'method="post"' in joined
    response = client.post(url)

    assert response["Location"] == reverse("dashboard")
    assert Membership.objects.get(user=other_org_user, partner=world.partner).role == "finance"
    assert client.get("/").context["partner"] == world.partner


def test_someone_signed_in_with_another_address_is_told_so(world):
    invitation = _invite(world)
    client = world.client("partner_admin")
    url = reverse("invitation_accept", kwargs={"key": invitation.plain_key})
    assert "You are signed in as admin@a.test" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert "was sent to newcomer@a.test" in response.content.decode()
    assert not Membership.objects.filter(user__email="newcomer@a.test").exists()


def test_unknown_keys_are_not_found(db):
    assert Client().get(reverse("invitation_accept", kwargs={"key": "nope"})).status_code == 404
