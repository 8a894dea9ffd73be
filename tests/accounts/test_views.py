import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_removed
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import reverse

from prm.accounts.models import ApiToken, User
from prm.accounts.tokens import token_digest

from ..conftest import session_mark_mfa_used
from ..factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_profile_token_lifecycle(world):
    client = world.client("partner_finance")
    user = world.users["partner_finance"]

    client.post(reverse("api_token_rotate"))
    first = ApiToken.objects.get(user=user)
    page = client.get(reverse("profile")).content.decode()
    secret = page.split('id="new-token">')[1].split("<")[0]
    assert token_digest(secret) == first.digest  # shown once, right after creation
    assert secret not in first.digest
    assert first.prefix == secret[:8]
    again = client.get(reverse("profile")).content.decode()
    assert secret not in again
    assert first.prefix in again
    assert "It expires on" in again

    client.post(reverse("api_token_rotate"))
    second = ApiToken.objects.get(user=user)
    assert second.digest != first.digest

    client.post(reverse("api_token_revoke"))
    assert not ApiToken.objects.filter(user=user).exists()


def test_token_endpoints_refuse_get(world):
    client = world.client("partner_admin")
    assert client.get(reverse("api_token_rotate")).status_code == 405
    assert not ApiToken.objects.exists()


def test_language_switch_is_saved_on_the_user(world):
    client = world.client("partner_sales")
    response = client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    assert response.status_code == 302
    world.users["partner_sales"].refresh_from_db()
    assert world.users["partner_sales"].language == "zh-hant"

    # A new session on another browser gets the saved language, whatever the browser says.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(world.users["partner_sales"])
    assert other.get("/").headers["Content-Language"] == "zh-hant"


def test_language_switch_rejects_unknown_language(world):
    client = world.client("partner_sales")
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    world.users["partner_sales"].refresh_from_db()
    assert world.users["partner_sales"].language == ""


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("zh-TW,zh;q=0.9", "zh-hant"), ("zh-HK", "zh-hant"), ("en-US", "en"), ("fr", "en")],
)
def test_accept_language_is_honoured(world, accept, expected):
    client = Client(HTTP_ACCEPT_LANGUAGE=accept)
    response = client.get(reverse("account_login"))
    assert response.headers["Content-Language"] == expected
    assert f'<html lang="{expected}">' in response.content.decode()


class TestStaffMFA:
    @pytest.fixture(autouse=True)
    def _require_mfa(self, settings):
        settings.PRM_MFA_REQUIRED_FOR_STAFF = True

    @pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned"])
    def test_vendor_staff_without_totp_are_sent_to_set_it_up(self, world, role):
        client = world.client(role)
        for url in ("/", reverse("partner_list"), reverse("profile"), "/admin/"):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == reverse("mfa_activate_totp")
        # The set-up page itself stays reachable (allauth asks for the password again first).
        response = client.get(reverse("mfa_activate_totp"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))

    def test_vendor_staff_api_is_refused_until_enrolled(self, world):
        response = world.client("vendor_admin").get(reverse("api:me"))
        assert response.status_code == 403
        assert "two-factor" in response.json()["detail"]

    def test_enrolment_is_read_once_per_session(self, world, django_assert_num_queries):
        user = world.users["cm_assigned"]
        client = world.client("cm_assigned")
        assert client.get(reverse("notification_badge")).status_code == 302
        authenticator = Authenticator.objects.create(
            user=user, type=Authenticator.Type.TOTP, data={"secret": "x"}
        )
        session_mark_mfa_used(client, user)
        assert client.get(reverse("notification_badge")).status_code == 200
        # The session, the user and the unread count: no authenticator query.
        with django_assert_num_queries(3):
            assert client.get(reverse("notification_badge")).status_code == 200
        request = RequestFactory().get("/accounts/2fa/")
        request.session = client.session
        authenticator_removed.send(
            sender=Authenticator, request=request, user=user, authenticator=authenticator
        )
        request.session.save()
        authenticator.delete()
        assert client.get(reverse("notification_badge"))["Location"] == reverse("mfa_activate_totp")

    def test_vendor_staff_with_totp_proceed(self, world):
        user = world.users["cm_assigned"]
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
        assert world.client("cm_assigned", mfa=True).get("/").status_code == 200

    @pytest.mark.parametrize("role", ["partner_admin", "partner_finance", "partner_sales"])
    def test_partner_users_are_not_forced(self, world, role):
        assert world.client(role).get("/").status_code == 200


def test_login_requires_a_verified_email(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="new@partner.test", verified=False)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    # The verification email went out (through the Celery backend, eager in tests).
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@partner.test"]


def test_login_with_verified_email_lands_on_the_dashboard(world):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": "finance@a.test", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["partner"] == world.partner


def test_password_reset_does_not_reveal_whether_an_account_exists(
    world, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("account_reset_password"), {"email": "admin@a.test"})
        unknown = client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["admin@a.test"], ["nobody@nowhere.test"]]
    assert "reset" in mail.outbox[0].body.lower()
    assert "/accounts/password/reset/key/" not in mail.outbox[1].body


def test_login_is_rate_limited(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    from django.core.cache import cache

    cache.clear()
    client = Client()
    pages = [
        client.post(
            reverse("account_login"), {"login": "admin@a.test", "password": "wrong"}
        ).content.decode()
        for _ in range(4)
    ]
    assert ["Too many failed login attempts" in page for page in pages] == [
        False,
        False,
        False,
        True,
    ]
    # Even the right password is refused while the limit holds.
    right = client.post(
        reverse("account_login"), {"login": "admin@a.test", "password": TEST_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert right.status_code == 200


def test_signup_is_closed_by_default(db):
    response = Client().get(reverse("account_signup"))
    assert "closed" in response.content.decode().lower()
    assert not User.objects.exists()


def test_a_rejected_password_is_not_echoed_back(world):
    response = Client().post(
        reverse("account_login"), {"login": "admin@a.test", "password": "s3cret-typo"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "s3cret-typo" not in body
    assert 'value="admin@a.test"' in body  # the email is kept for the next try
