"""Access-matrix entries for the partner pulse and the ideas board: a partner's admins answer
the pulse, vendor staff read its results; every role reads the board, partner users post, vote
and comment, vendor staff answer and moderate. A hidden post of partner A answers 404 to
partner B."""

from tests.engagement import board_objects as board

from .base import SIGNED_IN_API, SIGNED_IN_PAGE, VENDOR_PAGE, Entry, _all

PULSE_ANSWER_PAGE = _all(403, anonymous=302, partner_admin=200, other_partner=200)
PARTNER_PAGE = _all(200, anonymous=302, vendor_admin=403, cm_assigned=403, cm_unassigned=403)
# Partner users act and go back (302); vendor staff may not (403).
PARTNER_ACTION = _all(302, vendor_admin=403, cm_assigned=403, cm_unassigned=403)
BOARD_VENDOR_ACTION = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=302)
HIDDEN_PAGE = _all(200, anonymous=302, other_partner=404)


ENTRIES: dict[str, Entry] = {
    "pulse_form": Entry(PULSE_ANSWER_PAGE),
    "pulse_results": Entry(VENDOR_PAGE),
    "board_list": Entry(SIGNED_IN_PAGE, kwargs=lambda w: board.post(w) and {}),
    "board_post_create": Entry(PARTNER_PAGE),
    "board_post_detail": Entry(HIDDEN_PAGE, kwargs=board.hidden_post_pk),
    "board_post_vote": Entry(PARTNER_ACTION, method="post", kwargs=board.post_pk),
    "board_comment_add": Entry(
        _all(302), method="post", kwargs=board.post_pk, data=lambda w: {"body": "Good idea"}
    ),
    "board_post_status": Entry(
        BOARD_VENDOR_ACTION,
        method="post",
        kwargs=board.post_pk,
        data=lambda w: {"status": "under_review"},
    ),
    "board_post_merge": Entry(
        BOARD_VENDOR_ACTION,
        method="post",
        kwargs=board.post_pk,
        data=lambda w: {"into": board.other_post_pk(w)["pk"]},
    ),
    "board_post_hide": Entry(
        BOARD_VENDOR_ACTION, method="post", kwargs=board.post_pk, data=lambda w: {"reason": "Spam"}
    ),
    "board_post_unhide": Entry(BOARD_VENDOR_ACTION, method="post", kwargs=board.hidden_post_pk),
    "api:board-post-list": Entry(SIGNED_IN_API, kwargs=lambda w: board.post(w) and {}),
}
