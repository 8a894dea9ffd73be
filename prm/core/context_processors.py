from prm.core.access import VENDOR_ROLES, Role, capabilities, request_role


def navigation(request) -> dict:
    """What the base template needs to draw role-aware navigation and the switchers."""
    role = request_role(request)
    return {
        "current_role": role,
        "can": capabilities(role),
        "is_vendor": role in VENDOR_ROLES,
        "is_vendor_admin": role == Role.VENDOR_ADMIN,
        "current_partner": getattr(request, "partner", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
    }
