"""Access-matrix entries for the resource library: everyone reads the resources meant for them
(a resource for sales users only answers 404 to partner admins and finance users); vendor staff
add resources and versions and draft their announcements."""

from tests.enablement import resource_objects as resources

from .base import SIGNED_IN_PAGE, VENDOR_PAGE, Entry, _all

# A resource meant for partner sales users: vendor staff and partner A's sales user.
SALES_RESOURCE = _all(
    404, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=200, partner_sales=200
)
VENDOR_POST = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=302)


def _sales_only(world) -> dict:
    return {"pk": resources.sales_only(world).pk}


def _sales_only_v1(world) -> dict:
    return {"pk": resources.sales_only(world).pk, "number": 1}


ENTRIES: dict[str, Entry] = {
    "resource_list": Entry(SIGNED_IN_PAGE),
    "resource_create": Entry(VENDOR_PAGE),
    "resource_detail": Entry(SALES_RESOURCE, kwargs=_sales_only),
    "resource_download": Entry(SALES_RESOURCE, kwargs=_sales_only),
    "resource_version_download": Entry(SALES_RESOURCE, kwargs=_sales_only_v1),
    "resource_version_create": Entry(VENDOR_PAGE, kwargs=_sales_only),
    "resource_announce": Entry(VENDOR_POST, method="post", kwargs=_sales_only),
}
