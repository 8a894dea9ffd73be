"""Access-matrix entries for market development funds: every role reads its own funds; partner
admins and sales users request and claim; vendor staff decide; another partner's request or
claim answers 404."""

from tests.funds import matrix_objects as funds

from .base import SIGNED_IN_API, SIGNED_IN_PAGE, VENDOR_ACTION, VENDOR_PAGE, Entry, _all

OWN_FUND_OBJECT = _all(200, anonymous=302, cm_unassigned=404, other_partner=404)
FUND_REQUESTER_PAGE = _all(
    403, anonymous=302, partner_admin=200, partner_sales=200, other_partner=200
)
FUND_REQUESTER_OBJECT_PAGE = _all(
    403, anonymous=302, partner_admin=200, partner_sales=200, other_partner=404
)
FUND_REQUESTER_ACTION = _all(
    403, anonymous=302, partner_admin=302, partner_sales=302, other_partner=404
)
VENDOR_API_ACTION = _all(403, anonymous=401, vendor_admin=200, cm_assigned=200, cm_unassigned=404)


def _decision(world):
    return {"decision": "approve"}


ENTRIES: dict[str, Entry] = {
    "fund_list": Entry(SIGNED_IN_PAGE),
    "fund_request_create": Entry(FUND_REQUESTER_PAGE),
    "fund_request_detail": Entry(OWN_FUND_OBJECT, kwargs=funds.pending_request_pk),
    "fund_request_decide": Entry(
        VENDOR_ACTION, method="post", kwargs=funds.pending_request_pk, data=_decision
    ),
    "fund_request_cancel": Entry(
        FUND_REQUESTER_ACTION, method="post", kwargs=funds.pending_request_pk
    ),
    "fund_claim_create": Entry(FUND_REQUESTER_OBJECT_PAGE, kwargs=funds.approved_request_pk),
    "fund_claim_decide": Entry(VENDOR_ACTION, method="post", kwargs=funds.claim_pk, data=_decision),
    "fund_claim_file": Entry(OWN_FUND_OBJECT, kwargs=funds.claim_file),
    "fund_report": Entry(VENDOR_PAGE, kwargs=lambda w: funds.claim(w) and {}),
    "api:mdf-fund-list": Entry(SIGNED_IN_API, kwargs=lambda w: funds.budget(w) and {}),
    "api:mdf-request-create": Entry(
        _all(
            403,
            anonymous=401,
            partner_admin=201,
            partner_sales=201,
            # Partner B has no fund of that code.
            other_partner=400,
        ),
        method="post",
        data=funds.request_data,
    ),
    "api:mdf-request-decision": Entry(
        VENDOR_API_ACTION, method="post", kwargs=funds.pending_request_pk, data=_decision
    ),
    "api:mdf-claim-create": Entry(
        _all(403, anonymous=401, partner_admin=201, partner_sales=201, other_partner=404),
        method="post",
        kwargs=funds.approved_request_pk,
        data=funds.claim_data,
    ),
    "api:mdf-claim-decision": Entry(
        VENDOR_API_ACTION, method="post", kwargs=funds.claim_pk, data=_decision
    ),
}
