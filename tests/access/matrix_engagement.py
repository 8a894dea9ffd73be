"""Access-matrix entries for the vendor's commitments and relationship health: every signed-in
role reads its own record; vendor staff read any partner's they manage (an unassigned channel
manager gets 404), and the record by channel manager; another partner's record answers 404."""

from .base import OWN_PARTNER_PAGE, VENDOR_PAGE, Entry, _all


def _partner(world):
    return {"partner": world.partner.code}


# other_partner reads its own record: ?partner= is ignored for partner users.
OWN_RECORD_API = _all(200, anonymous=401, cm_unassigned=404)

ENTRIES: dict[str, Entry] = {
    "commitment_home": Entry(_all(200, anonymous=302)),
    "commitment_partner": Entry(OWN_PARTNER_PAGE, kwargs=lambda w: {"code": w.partner.code}),
    "commitment_manager": Entry(VENDOR_PAGE, kwargs=lambda w: {"pk": w.users["cm_assigned"].pk}),
    "api:commitment-record": Entry(OWN_RECORD_API, data=_partner),
    "api:health-score": Entry(OWN_RECORD_API, data=_partner),
}
