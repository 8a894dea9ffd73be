"""Building blocks of the URL × role matrix, shared by the per-feature entry modules."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    expect: dict[str, int]
    method: str = "get"
    kwargs: Callable = field(default=lambda world: {})
    data: Callable = field(default=lambda world: {})


def _all(status: int, **overrides: int) -> dict[str, int]:
    roles = [
        "anonymous",
        "vendor_admin",
        "cm_assigned",
        "cm_unassigned",
        "partner_admin",
        "partner_finance",
        "partner_sales",
        "other_partner",
    ]
    return {role: overrides.get(role, status) for role in roles}


SIGNED_IN_PAGE = _all(200, anonymous=302)
VENDOR_PAGE = _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=200)
OWN_PARTNER_PAGE = _all(200, anonymous=302, cm_unassigned=404, other_partner=404)
SIGNED_IN_API = _all(200, anonymous=401)
OWN_PARTNER_API = _all(200, anonymous=401, cm_unassigned=404, other_partner=404)
# Deals: no partner finance; another partner's registration is out of reach (404).
DEAL_PAGE = _all(200, anonymous=302, partner_finance=403)
OWN_DEAL_PAGE = _all(200, anonymous=302, cm_unassigned=404, partner_finance=403, other_partner=404)
OWN_DEAL_API = _all(200, anonymous=401, cm_unassigned=404, partner_finance=403, other_partner=404)
VENDOR_ACTION = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404)
# Vendor staff and the partner's own admin; other_partner is an admin elsewhere (404).
MEMBER_MANAGER_ACTION = _all(
    403,
    anonymous=302,
    vendor_admin=302,
    cm_assigned=302,
    cm_unassigned=404,
    partner_admin=302,
    other_partner=404,
)
