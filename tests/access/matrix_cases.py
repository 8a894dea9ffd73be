"""Access-matrix entries for case management added after the first disputes release."""

from .base import Entry, _all

# Vendor staff who may see the case reassign it; the unassigned channel manager gets 404 as on
# every case URL, partner users are refused.
CASE_REASSIGN = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404)


def _case_pk(world):
    from .matrix import _case_pk as case_pk

    return case_pk(world)


def _reassign_data(world):
    return {"owner": world.users["vendor_admin"].pk, "reason": "Covering while on leave"}


ENTRIES: dict[str, Entry] = {
    "case_reassign": Entry(CASE_REASSIGN, method="post", kwargs=_case_pk, data=_reassign_data),
}
