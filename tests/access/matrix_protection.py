"""Access-matrix entries for price protection: purchases and claims are read where payouts are
(vendor staff, partner admins and finance users); partner admins and finance users declare;
vendor staff import purchases and decide; another partner's claim answers 404."""

from tests.funds import protection_objects as pp

from .base import VENDOR_ACTION, Entry, _all

PROTECTION_PAGE = _all(200, anonymous=302, partner_sales=403)
OWN_CLAIM_PAGE = _all(200, anonymous=302, cm_unassigned=404, partner_sales=403, other_partner=404)
VENDOR_PAGE = _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=200)
DECLARE_ACTION = _all(403, anonymous=302, partner_admin=302, partner_finance=302, other_partner=404)


def _purchase_import_pk(world):
    from funds.purchases import purchases_import

    upload = pp.purchases_file(world)["file"]
    return {"pk": purchases_import(content=upload.read(), filename=upload.name).batch.pk}


def _approve(world):
    return {"decision": "approve"}


def _on_hand(world):
    return {"on_hand": "2"}


ENTRIES: dict[str, Entry] = {
    "purchase_list": Entry(PROTECTION_PAGE, kwargs=lambda w: pp.purchase(w) and {}),
    "purchase_import_list": Entry(VENDOR_PAGE),
    "purchase_import_detail": Entry(VENDOR_PAGE, kwargs=_purchase_import_pk),
    "protection_claim_list": Entry(PROTECTION_PAGE, kwargs=lambda w: pp.open_claim_pk(w) and {}),
    "protection_claim_detail": Entry(OWN_CLAIM_PAGE, kwargs=pp.submitted_claim_pk),
    "protection_claim_declare": Entry(
        DECLARE_ACTION, method="post", kwargs=pp.open_claim_pk, data=_on_hand
    ),
    "protection_claim_decide": Entry(
        VENDOR_ACTION, method="post", kwargs=pp.submitted_claim_pk, data=_approve
    ),
    "api:purchase-import": Entry(
        _all(403, anonymous=401, vendor_admin=201, cm_assigned=201, cm_unassigned=201),
        method="post",
        data=pp.purchases_file,
    ),
    "api:protection-claim-list": Entry(
        _all(200, anonymous=401, partner_sales=403), kwargs=lambda w: pp.open_claim_pk(w) and {}
    ),
    "api:protection-claim-decision": Entry(
        _all(404, anonymous=401, vendor_admin=200, cm_assigned=200),
        method="post",
        kwargs=pp.submitted_claim_pk,
        data=_approve,
    ),
    "api:protection-claim-declare": Entry(
        _all(403, anonymous=401, partner_admin=200, partner_finance=200, other_partner=404),
        method="post",
        kwargs=pp.open_claim_pk,
        data=_on_hand,
    ),
}
