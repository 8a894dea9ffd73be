from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _


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


class StaffMFARequiredMiddleware:
    """With PRM_MFA_REQUIRED_FOR_STAFF on, vendor staff without TOTP are sent to set it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
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
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
