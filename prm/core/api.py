"""Base for API views: partner context for token-authenticated callers, role declaration."""

from rest_framework.views import APIView

from partners.middleware import attach_partner_context
from prm.core.access import HasAllowedRole


class PartnerContextMixin:
    """After DRF authenticates (session or token), resolve the caller's current partner."""

    permission_classes = [HasAllowedRole]

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        django_request = request._request
        if getattr(django_request, "partner_context_user_id", None) != request.user.pk:
            # Token authentication happens after the middleware ran for an anonymous request.
            attach_partner_context(django_request, request.user)
        super().initial(request, *args, **kwargs)


class BaseAPIView(PartnerContextMixin, APIView):
    pass
