"""Base for API views: request context for token-authenticated callers, role declaration."""

from collections.abc import Callable

from rest_framework.views import APIView

from prm.core.access import HasAllowedRole

# What the session middleware attaches to a request (the caller's current partner), attached
# again once DRF has authenticated a token caller. The partners app registers its resolver.
_context_attachers: list[Callable] = []


def request_context_attacher(attach: Callable) -> Callable:
    """Register `attach(request, user)`, run after DRF authentication for token callers."""
    if attach not in _context_attachers:
        _context_attachers.append(attach)
    return attach


class PartnerContextMixin:
    """After DRF authenticates (session or token), resolve the caller's current partner."""

    permission_classes = [HasAllowedRole]

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        django_request = request._request
        if getattr(django_request, "partner_context_user_id", None) != request.user.pk:
            # Token authentication happens after the middleware ran for an anonymous request.
            for attach in _context_attachers:
                attach(django_request, request.user)
        super().initial(request, *args, **kwargs)


class BaseAPIView(PartnerContextMixin, APIView):
    pass
