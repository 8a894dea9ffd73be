"""The URL × role matrix: for every URL pattern of the project, the answer each role gets.

Adding a URL without an entry here fails `test_every_url_has_an_entry`. Statuses: 200 page,
302 redirect (to the login page for anonymous users, or after a POST), 401/403 refused,
404 not found (another partner's object), 405 wrong method.
"""

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

MATRIX: dict[str, Entry] = {
    "dashboard": Entry(SIGNED_IN_PAGE),
    "health": Entry(_all(200)),
    "partner_list": Entry(VENDOR_PAGE),
    "partner_detail": Entry(OWN_PARTNER_PAGE, kwargs=lambda w: {"code": w.partner.code}),
    "partner_switch": Entry(
        _all(302, vendor_admin=403, cm_assigned=403, cm_unassigned=403),
        method="post",
        data=lambda w: {"partner": w.partner.code},
    ),
    "profile": Entry(SIGNED_IN_PAGE),
    "api_token_rotate": Entry(_all(302), method="post"),
    "api_token_revoke": Entry(_all(302), method="post"),
    "set_language": Entry(_all(302), method="post", data=lambda w: {"language": "en"}),
    "api:me": Entry(SIGNED_IN_API),
    "api:partner-list": Entry(SIGNED_IN_API),
    "api:partner-detail": Entry(OWN_PARTNER_API, kwargs=lambda w: {"code": w.partner.code}),
    "schema": Entry(_all(200)),
    "api-docs": Entry(_all(200)),
}

# Third-party URL sets, mounted whole. Their own projects test them; the matrix checks the entry
# points users reach (login, admin index) in test_third_party_entry_points.
THIRD_PARTY_PREFIXES = ("admin/", "accounts/")
