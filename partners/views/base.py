"""Helpers shared by the partner views."""

from __future__ import annotations

from django.contrib import messages
from django.views import View

from prm.core.access import RoleRequiredMixin, request_role
from prm.core.errors import DomainError

from ..selectors import partner_get


class PartnerScopedMixin(RoleRequiredMixin):
    """Views under /partners/<code>/: the partner comes through the scoping selector, so a
    partner outside the user's reach answers 404."""

    def get_partner(self):
        if not hasattr(self, "_partner"):
            self._partner = partner_get(
                user=self.request.user,
                code=self.kwargs["code"],
                current_partner=self.request.partner,
            )
        return self._partner

    @property
    def role(self):
        return request_role(self.request)


class ActionView(RoleRequiredMixin, View):
    """A POST-only action on a page: run it, report the outcome as a message, go back."""

    http_method_names = ["post"]

    def form_errors(self, form) -> None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(self.request, f"{label}: {error}" if label else error)

    def domain_error(self, error: DomainError) -> None:
        messages.error(self.request, error.message)
