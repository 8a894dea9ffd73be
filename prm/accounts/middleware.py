import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect, resolve_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .sessions import (
    SESSION_LAST_SEEN_KEY,
    SESSION_STARTED_KEY,
    session_has_totp,
    session_mfa_missing,
)


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


# Paths a vendor user may reach before enrolling TOTP: sign-in, MFA set-up, language, static.
MFA_EXEMPT_PREFIXES = (
    "/accounts/",
    "/i18n/",
    "/static/",
    "/healthz/",
    "/api/schema/",
    "/api/docs/",
)


def _signed_out_response(request, message: str):
    """End the session and send the caller to sign in again (pages) or refuse (API)."""
    next_url = request.get_full_path()
    logout(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=401)
    return redirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}")


class SessionLifetimeMiddleware:
    """Signed-in sessions end after PRM_SESSION_IDLE_MINUTES without a request and
    PRM_SESSION_MAX_HOURS after sign-in, whichever comes first. Every answer to a signed-in
    user is marked `Cache-Control: no-store, private` so no browser or proxy keeps it."""

    # The last-seen time is written at most this often, so most requests save no session.
    TOUCH_SECONDS = 60
    # Requests a page makes by itself (the navigation bar's unread badge polls every minute)
    # are not activity: an open, unattended tab still times out.
    NOT_ACTIVITY = ("/notifications/badge/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                return self._no_store(_signed_out_response(request, expired))
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._no_store(response)
        return response

    def _expired(self, request) -> str:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED_KEY)
        last_seen = session.get(SESSION_LAST_SEEN_KEY)
        if started is None or last_seen is None:
            # A session from before these limits: they count from now.
            session[SESSION_STARTED_KEY] = started or now
            session[SESSION_LAST_SEEN_KEY] = now
            return ""
        if now - started > settings.PRM_SESSION_MAX_HOURS * 3600:
            return _("Your session has ended. Please sign in again.")
        if now - last_seen > settings.PRM_SESSION_IDLE_MINUTES * 60:
            return _("Your session timed out after a period of inactivity. Please sign in again.")
        if now - last_seen > self.TOUCH_SECONDS and request.path not in self.NOT_ACTIVITY:
            session[SESSION_LAST_SEEN_KEY] = now
        return ""

    @staticmethod
    def _no_store(response):
        existing = response.get("Cache-Control", "")
        if "no-store" not in existing:
            add_never_cache_headers(response)
        return response


class StaffMFARequiredMiddleware:
    """Two rules for the second factor.

    A user who has enrolled TOTP must have used it in this very session: a session made with
    the password alone (any sign-in path that skipped the MFA step) is ended. And with
    PRM_MFA_REQUIRED_FOR_STAFF on, vendor staff without TOTP are sent to set it up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and session_mfa_missing(request):
            return _signed_out_response(
                request, _("Sign in again with your second factor to continue.")
            )
        if settings.PRM_MFA_REQUIRED_FOR_STAFF and self._needs_enrolment(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Set up two-factor authentication before using the API.")},
                    status=403,
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_enrolment(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_vendor_staff:
            return False
        if request.path.startswith(MFA_EXEMPT_PREFIXES):
            return False
        return not session_has_totp(request, user)
