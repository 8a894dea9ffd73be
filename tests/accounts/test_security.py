"""Attacks on sign-in, sessions and API tokens (OWASP ASVS level 2, chapters 2, 3 and 7)."""

import datetime
import logging
import time

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from prm.accounts.models import ApiToken
from prm.accounts.services import api_token_rotate
from prm.accounts.sessions import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from prm.core.models import Event

from ..factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BASE_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}


def _totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def enrolled_admin(world):
    """The vendor admin with TOTP enrolled; returns the user and the TOTP secret."""
    user = world.users["vendor_admin"]
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.reliability("attack", "second factor cannot be skipped")
class TestAdminSignInUsesTheSecondFactor:
    def test_admin_login_page_sends_to_the_portal_sign_in(self, world):
        response = Client().get("/admin/login/?next=/admin/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"

    def test_password_alone_at_admin_login_gives_nothing(self, world, enrolled_admin):
        user, _secret = enrolled_admin
        client = Client()
        response = client.post(
            "/admin/login/?next=/admin/", {"username": user.email, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert not _signed_in(client)
        assert client.get("/admin/").status_code == 302
        assert client.get(reverse("api:me")).status_code in (401, 403)

    def test_portal_sign_in_asks_for_the_code_then_opens_admin(self, world, enrolled_admin):
        user, secret = enrolled_admin
        client = Client()
        response = client.post(
            "/accounts/login/?next=/admin/", {"login": user.email, "password": TEST_PASSWORD}
        )
        assert response["Location"] == reverse("mfa_authenticate")
        assert not _signed_in(client)
        assert client.get("/admin/").status_code == 302
        response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
        assert response.status_code == 302
        assert _signed_in(client)
        assert client.get("/admin/").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get(reverse("api:me")).json()["role"] == "vendor_admin"

    def test_a_password_only_session_is_ended_everywhere(self, world, enrolled_admin):
        """However a session without the second factor came about (here: force_login, as the
        Django admin's own sign-in used to do), pages, admin and API refuse it."""
        user, _secret = enrolled_admin
        for url, expected in (("/", 302), ("/admin/", 302), ("/partners/", 302)):
            client = Client()
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == expected, url
            assert response["Location"].startswith("/accounts/login/"), url
            assert not _signed_in(client)
        client = Client()
        client.force_login(user)
        response = client.get(reverse("api:me"))
        assert response.status_code == 401
        assert not _signed_in(client)

    def test_a_session_that_passed_the_second_factor_is_kept(self, world, enrolled_admin):
        client = world.client("vendor_admin", mfa=True)
        assert client.get("/").status_code == 200
        assert client.get(reverse("api:me")).json()["role"] == "vendor_admin"


@pytest.mark.reliability("attack", "login and reset rate limits")
class TestRateLimits:
    @pytest.fixture(autouse=True)
    def _production_limits(self, settings):
        settings.ACCOUNT_RATE_LIMITS = BASE_RATE_LIMITS
        cache.clear()
        yield
        cache.clear()

    def test_twelve_wrong_passwords_then_the_right_one_is_refused(self, world):
        client = Client()
        for _ in range(12):
            client.post(reverse("account_login"), {"login": "admin@a.test", "password": "nope"})
        response = client.post(
            reverse("account_login"), {"login": "admin@a.test", "password": TEST_PASSWORD}
        )
        assert "Too many failed login attempts" in response.content.decode()
        assert not _signed_in(client)

    def test_the_admin_path_is_under_the_same_limit(self, world):
        """/admin/login/ only redirects; every attempt lands on the limited portal sign-in."""
        client = Client()
        for _ in range(12):
            response = client.post(
                "/admin/login/", {"username": "admin@vendor.test", "password": "nope"}
            )
            assert response.status_code == 302
            client.post(reverse("account_login"), {"login": "admin@vendor.test", "password": "x"})
        response = client.post(
            reverse("account_login"), {"login": "admin@vendor.test", "password": TEST_PASSWORD}
        )
        assert not _signed_in(client)
        assert "Too many failed login attempts" in response.content.decode()

    def test_password_reset_requests_are_limited_per_address(
        self, world, django_capture_on_commit_callbacks
    ):
        from django.core import mail

        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            statuses = [
                client.post(reverse("account_reset_password"), {"email": "admin@a.test"})
                for _ in range(7)
            ]
        assert len(mail.outbox) == 5
        assert statuses[-1].status_code == 429


@pytest.mark.reliability("attack", "session fixation and invalidation")
class TestSessionInvalidation:
    def test_session_key_changes_at_sign_in(self, world):
        client = Client()
        client.get(reverse("account_login"))
        client.session.save()
        before = client.session.session_key
        client.post(reverse("account_login"), {"login": "admin@a.test", "password": TEST_PASSWORD})
        assert _signed_in(client)
        assert client.session.session_key != before

    def test_logout_invalidates_the_session_on_the_server(self, world):
        client = world.client("partner_admin")
        stolen = Client()
        stolen.cookies = client.cookies  # the same cookie, as a thief would replay it
        key = client.session.session_key
        client.post(reverse("account_logout"))
        from django.contrib.sessions.models import Session

        assert not Session.objects.filter(session_key=key).exists()
        replay = Client()
        replay.cookies["sessionid"] = key
        assert replay.get("/").status_code == 302

    def test_password_change_ends_other_sessions_and_keeps_this_one(self, world):
        user = world.users["partner_admin"]
        here, elsewhere = Client(), Client()
        for client in (here, elsewhere):
            client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
            assert client.get("/").status_code == 200
        new = "another-long-passphrase-42"
        response = here.post(
            reverse("account_change_password"),
            {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
        )
        assert response.status_code == 302
        assert here.get("/").status_code == 200
        assert elsewhere.get("/").status_code == 302


@pytest.mark.reliability("attack", "session timeouts")
class TestSessionTimeouts:
    def _age(self, client, *, started: float, last_seen: float) -> None:
        session = client.session
        now = time.time()
        session[SESSION_STARTED_KEY] = now - started
        session[SESSION_LAST_SEEN_KEY] = now - last_seen
        session.save()

    def test_idle_session_is_ended(self, world, settings):
        settings.PRM_SESSION_IDLE_MINUTES = 30
        client = world.client("partner_admin")
        self._age(client, started=3600, last_seen=29 * 60)
        assert client.get("/").status_code == 200
        self._age(client, started=3600, last_seen=31 * 60)
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert not _signed_in(client)

    def test_idle_api_session_is_refused(self, world):
        client = world.client("partner_admin")
        self._age(client, started=3600, last_seen=31 * 60)
        assert client.get(reverse("api:me")).status_code == 401

    def test_activity_does_not_extend_past_the_absolute_lifetime(self, world, settings):
        settings.PRM_SESSION_MAX_HOURS = 12
        client = world.client("partner_admin")
        self._age(client, started=11.9 * 3600, last_seen=10)
        assert client.get("/").status_code == 200
        self._age(client, started=12.1 * 3600, last_seen=10)
        assert client.get("/").status_code == 302
        assert not _signed_in(client)

    def test_use_keeps_an_idle_clock_fresh(self, world):
        client = world.client("partner_admin")
        self._age(client, started=600, last_seen=120)
        client.get("/")
        assert time.time() - client.session[SESSION_LAST_SEEN_KEY] < 5

    def test_the_badge_polling_of_an_open_tab_is_not_activity(self, world):
        client = world.client("partner_admin")
        self._age(client, started=600, last_seen=120)
        seen = client.session[SESSION_LAST_SEEN_KEY]
        assert client.get(reverse("notification_badge")).status_code == 200
        assert client.session[SESSION_LAST_SEEN_KEY] == seen

    @pytest.mark.parametrize(
        "url", ["/", "/profile/", "/api/v1/me/", "/partners/P-A/", "/api/v1/partners/"]
    )
    def test_signed_in_answers_are_not_stored_by_caches(self, world, url):
        response = world.client("partner_admin").get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    def test_token_api_answers_are_not_stored_either(self, world):
        _token, secret = api_token_rotate(user=world.users["partner_admin"])
        response = Client(HTTP_AUTHORIZATION=f"Token {secret}").get(reverse("api:me"))
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]

    def test_the_page_showing_a_new_token_is_not_cached(self, world):
        client = world.client("partner_admin")
        client.post(reverse("api_token_rotate"))
        response = client.get(reverse("profile"))
        assert 'id="new-token"' in response.content.decode()
        assert "no-store" in response["Cache-Control"]


@pytest.mark.reliability("attack", "API tokens hashed, expiring, revoked")
class TestApiTokens:
    def test_only_a_digest_is_stored(self, world):
        token, secret = api_token_rotate(user=world.users["partner_admin"])
        stored = ApiToken.objects.values_list("digest", "prefix").get(pk=token.pk)
        assert secret not in stored[0]
        assert len(stored[1]) == 8
        assert Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/me/").status_code == 200
        # The digest itself is not a credential.
        assert Client(HTTP_AUTHORIZATION=f"Token {stored[0]}").get("/api/v1/me/").status_code == 401

    def test_tokens_expire(self, world, settings):
        settings.PRM_API_TOKEN_DAYS = 90
        token, secret = api_token_rotate(user=world.users["partner_admin"])
        assert token.expires_at - token.created == datetime.timedelta(days=90)
        ApiToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        response = Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/me/")
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    def test_expiry_is_shown_on_the_profile(self, world):
        client = world.client("partner_admin")
        client.post(reverse("api_token_rotate"))
        client.get(reverse("profile"))
        page = client.get(reverse("profile")).content.decode()
        assert 'id="token-expiry"' in page

    def test_password_change_revokes_the_token(self, world):
        user = world.users["partner_admin"]
        _token, secret = api_token_rotate(user=user)
        client = Client()
        client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
        new = "another-long-passphrase-42"
        client.post(
            reverse("account_change_password"),
            {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
        )
        assert not ApiToken.objects.filter(user=user).exists()
        assert Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/me/").status_code == 401
        assert Event.objects.filter(verb="api_token.revoked", reason="password changed").exists()

    def test_password_reset_revokes_the_token(self, world, django_capture_on_commit_callbacks):
        from django.core import mail

        user = world.users["partner_admin"]
        api_token_rotate(user=user)
        client = Client()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_reset_password"), {"email": user.email})
        link = next(
            line for line in mail.outbox[-1].body.splitlines() if "/password/reset/key/" in line
        )
        path = link[link.index("/accounts/") :].strip()
        response = client.get(path)
        new = "another-long-passphrase-42"
        client.post(response["Location"], {"password1": new, "password2": new})
        user.refresh_from_db()
        assert user.check_password(new)
        assert not ApiToken.objects.filter(user=user).exists()

    def test_deactivation_revokes_the_token(self, world):
        user = world.users["partner_admin"]
        api_token_rotate(user=user)
        user.is_active = False
        user.save()
        assert not ApiToken.objects.filter(user=user).exists()
        assert Event.objects.filter(verb="api_token.revoked", reason="account deactivated").exists()


@pytest.mark.reliability("attack", "security events logged")
class TestSecurityEvents:
    def test_failed_sign_in_is_logged_and_recorded(self, world, caplog):
        with caplog.at_level(logging.WARNING, logger="prm.security"):
            Client().post(reverse("account_login"), {"login": "admin@a.test", "password": "no"})
        assert any("Failed sign-in" in r.getMessage() for r in caplog.records)
        assert Event.objects.filter(
            verb="user.login_failed", target_id=str(world.users["partner_admin"].pk)
        ).exists()

    def test_password_change_is_logged_and_recorded(self, world, caplog):
        user = world.users["partner_admin"]
        client = Client()
        client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
        new = "another-long-passphrase-42"
        with caplog.at_level(logging.INFO, logger="prm.security"):
            client.post(
                reverse("account_change_password"),
                {"oldpassword": TEST_PASSWORD, "password1": new, "password2": new},
            )
        assert any("Password changed" in r.getMessage() for r in caplog.records)
        assert Event.objects.filter(verb="user.password_changed", actor=user).exists()

    def test_mfa_enrolment_and_removal_are_recorded(self, world):
        from allauth.mfa.models import Authenticator
        from allauth.mfa.signals import authenticator_added, authenticator_removed

        user = world.users["partner_admin"]
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
        authenticator_added.send(
            sender=Authenticator, request=None, user=user, authenticator=authenticator
        )
        authenticator_removed.send(
            sender=Authenticator, request=None, user=user, authenticator=authenticator
        )
        verbs = set(Event.objects.filter(actor=user).values_list("verb", flat=True))
        assert {"user.mfa_added", "user.mfa_removed"} <= verbs


@pytest.mark.reliability("attack", "password policy")
@pytest.mark.parametrize(
    ("password", "accepted"),
    [("short-pw-11", False), ("eightchr", False), ("demo-portal-2026", True)],
)
def test_passwords_shorter_than_twelve_are_refused(db, password, accepted):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = UserFactory.build(email="new@partner.test")
    try:
        validate_password(password, user)
    except ValidationError:
        assert not accepted
    else:
        assert accepted
