"""What a signed-in session carries about itself: when it began, when it was last used and
whether its user has a second factor that this session must have used."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records

SESSION_STARTED_KEY = "prm_session_started"
SESSION_LAST_SEEN_KEY = "prm_session_last_seen"
SESSION_MFA_ENROLLED_KEY = "prm_mfa_enrolled"
# Set once this session has seen the user's authenticator app, so vendor staff who have enrolled
# cost no query per request; cleared when the app is removed in this session.
SESSION_HAS_TOTP_KEY = "prm_has_totp"


def user_has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_has_totp(request, user) -> bool:
    """Whether `user` has an authenticator app, remembered by the session once it is true."""
    if request.session.get(SESSION_HAS_TOTP_KEY):
        return True
    if user_has_totp(user):
        request.session[SESSION_HAS_TOTP_KEY] = True
        return True
    return False


def session_start(request, user) -> None:
    """Called at sign-in: the session's clocks start and its MFA duty is noted."""
    now = time.time()
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_LAST_SEEN_KEY] = now
    request.session[SESSION_MFA_ENROLLED_KEY] = user_has_totp(user)


def session_used_mfa(request, user) -> bool:
    return any(
        record.get("method") == "mfa" for record in get_authentication_records(request, user)
    )


def session_mfa_missing(request) -> bool:
    """True when the signed-in user has TOTP but this session never passed the MFA step."""
    user = request.user
    enrolled = request.session.get(SESSION_MFA_ENROLLED_KEY)
    if enrolled is None:
        enrolled = user_has_totp(user)
        request.session[SESSION_MFA_ENROLLED_KEY] = enrolled
    return bool(enrolled) and not session_used_mfa(request, user)


def reauthentication_missing(request) -> str | None:
    """What the user still has to confirm before a sensitive change: "password" when the session
    holds no recent password confirmation, "mfa" when vendor staff with an authenticator app
    hold no recent TOTP confirmation, None when both are recent (ACCOUNT_REAUTHENTICATION_TIMEOUT).
    Only explicit confirmations count, not the sign-in itself."""
    from django.conf import settings

    user = request.user
    records = get_authentication_records(request, user)
    now = time.time()

    def recent(method: str) -> bool:
        return any(
            record.get("method") == method
            and record.get("reauthenticated")
            and now - record.get("at", 0) < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
            for record in records
        )

    if not recent("password"):
        return "password"
    if user.vendor_role and user_has_totp(user) and not recent("mfa"):
        return "mfa"
    return None
