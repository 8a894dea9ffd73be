"""Who may reach a view: each view declares its roles (or that it is public); one mixin enforces it.

Object scoping is not done here: views fetch rows through selectors, which answer 404 for rows
outside the user's reach.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from rest_framework.permissions import BasePermission


class Role(StrEnum):
    VENDOR_ADMIN = "vendor_admin"
    CHANNEL_MANAGER = "channel_manager"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_FINANCE = "partner_finance"
    PARTNER_SALES = "partner_sales"


VENDOR_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE, Role.PARTNER_SALES})
ALL_ROLES = VENDOR_ROLES | PARTNER_ROLES
VENDOR_ADMIN_ROLES = frozenset({Role.VENDOR_ADMIN})

# Each capability is defined here once; views declare them as `allowed_roles` and templates read
# the matching boolean of `capabilities()` (as `can.<name>`), never a role string.
# Statements, payouts and the payout side of cases: vendor staff, partner admins and finance.
PAYOUT_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN, Role.PARTNER_FINANCE}
# Deals: vendor staff, partner admins and partner sales (finance has no deals).
DEAL_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN, Role.PARTNER_SALES}
DEAL_REGISTER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_SALES})
# Inviting users and setting their roles; proposing and answering targets; editing a review's
# shared notes and action items.
MEMBER_MANAGER_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN}
TARGET_NEGOTIATOR_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN}
REVIEW_EDITOR_ROLES = VENDOR_ROLES | {Role.PARTNER_ADMIN}
# Market development funds: every role reads its funds; partner admins and sales users request
# money for activities and claim it; vendor staff decide.
FUND_ROLES = ALL_ROLES
FUND_REQUEST_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_SALES})
# Price protection: purchases and claims are money, read where payouts are; partner admins and
# finance users declare units on hand; vendor staff import purchases and decide claims.
PROTECTION_ROLES = PAYOUT_ROLES
PROTECTION_DECLARE_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE})
# The partner pulse: a partner's admins answer for it; vendor staff read the results. The ideas
# board: every role reads it; partner users post, vote and comment; vendor staff answer and
# moderate.
PULSE_ANSWER_ROLES = frozenset({Role.PARTNER_ADMIN})
BOARD_ROLES = ALL_ROLES
BOARD_PARTNER_ROLES = PARTNER_ROLES

CAPABILITIES = {
    "vendor": VENDOR_ROLES,
    "vendor_admin": VENDOR_ADMIN_ROLES,
    "see_payouts": PAYOUT_ROLES,
    "see_deals": DEAL_ROLES,
    "register_deals": DEAL_REGISTER_ROLES,
    "manage_members": MEMBER_MANAGER_ROLES,
    "negotiate_targets": TARGET_NEGOTIATOR_ROLES,
    "edit_reviews": REVIEW_EDITOR_ROLES,
    "see_funds": FUND_ROLES,
    "request_funds": FUND_REQUEST_ROLES,
    "answer_pulse": PULSE_ANSWER_ROLES,
    "take_part_in_board": BOARD_PARTNER_ROLES,
}
_VENDOR_ROLE_MAP = {"admin": Role.VENDOR_ADMIN, "channel_manager": Role.CHANNEL_MANAGER}


def request_role(request) -> Role | None:
    """The role the user acts in: their vendor role, else the current membership's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if user.vendor_role:
        return _VENDOR_ROLE_MAP.get(user.vendor_role)
    membership = getattr(request, "membership", None)
    if membership is not None:
        return Role(f"partner_{membership.role}")
    return None


def capabilities(role: Role | None) -> dict[str, bool]:
    """What the role may do, one boolean per capability (for templates: `can.see_payouts`)."""
    return {name: role in roles for name, roles in CAPABILITIES.items()}


def is_vendor(request) -> bool:
    return request_role(request) in VENDOR_ROLES


class RoleRequiredMixin:
    """View mixin: `allowed_roles` lists who may enter; `public = True` opens the view to all."""

    allowed_roles: frozenset[Role] | None = None
    public: bool = False
    # Signed-in users with no vendor role and no organisation may enter too (they see guidance).
    allow_unaffiliated: bool = False

    def dispatch(self, request, *args, **kwargs):
        if not self.public:
            if self.allowed_roles is None:
                raise ImproperlyConfigured(f"{type(self).__name__} declares no allowed_roles")
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            role = request_role(request)
            if role not in self.allowed_roles and not (role is None and self.allow_unaffiliated):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HasAllowedRole(BasePermission):
    """DRF permission reading the same `allowed_roles` declaration from the API view."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False):
            return True
        allowed = getattr(view, "allowed_roles", None)
        if allowed is None:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no allowed_roles")
        return request_role(request) in allowed
