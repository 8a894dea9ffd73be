"""Access-matrix entries for business reviews: everyone signed in has the list; a review of
partner A is seen by vendor admins, its channel manager and A's users, and answers 404 to the
unassigned channel manager and to another partner. Vendor staff move, cancel and hold it; the
partner admin also edits notes and adds action items; finance and sales tick their own items."""

from .base import Entry, _all

SIGNED_IN_PAGE = _all(200, anonymous=302)
OWN_REVIEW_PAGE = _all(200, anonymous=302, cm_unassigned=404, other_partner=404)
VENDOR_REVIEW_ACTION = _all(
    403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404
)
EDITOR_REVIEW_ACTION = {**VENDOR_REVIEW_ACTION, "partner_admin": 302, "other_partner": 404}
# The item belongs to partner A's sales user: finance may not tick it (403), sales may.
TOGGLE_ACTION = {**EDITOR_REVIEW_ACTION, "partner_sales": 302}


def _review(world):
    from partners.services import review_schedule_next

    return review_schedule_next(world.partner)


def _review_pk(world):
    return {"pk": _review(world).pk}


def _item_pks(world):
    import datetime as dt

    from django.utils import timezone

    from partners.services import action_item_add

    review = _review(world)
    item = action_item_add(
        review=review,
        actor=world.users["cm_assigned"],
        title="Share the Q3 pipeline",
        owner=world.users["partner_sales"],
        due_on=timezone.localdate() + dt.timedelta(days=7),
    )
    return {"pk": review.pk, "item_pk": item.pk}


def _reschedule_data(world):
    import datetime as dt

    from django.utils import timezone

    return {
        "date": (timezone.localdate() + dt.timedelta(days=20)).isoformat(),
        "time": "14:30",
        "duration_minutes": "90",
        "location": "Taipei office",
    }


def _item_data(world):
    import datetime as dt

    from django.utils import timezone

    return {
        "title": "Send the price list",
        "owner": world.users["partner_admin"].pk,
        "due_on": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
    }


ENTRIES: dict[str, Entry] = {
    "review_list": Entry(SIGNED_IN_PAGE),
    "review_detail": Entry(OWN_REVIEW_PAGE, kwargs=_review_pk),
    "review_calendar": Entry(OWN_REVIEW_PAGE, kwargs=_review_pk),
    "review_reschedule": Entry(
        VENDOR_REVIEW_ACTION, method="post", kwargs=_review_pk, data=_reschedule_data
    ),
    "review_cancel": Entry(
        VENDOR_REVIEW_ACTION, method="post", kwargs=_review_pk, data=lambda w: {"reason": "Trip"}
    ),
    "review_hold": Entry(VENDOR_REVIEW_ACTION, method="post", kwargs=_review_pk),
    "review_notes": Entry(
        EDITOR_REVIEW_ACTION, method="post", kwargs=_review_pk, data=lambda w: {"notes": "Hi"}
    ),
    "action_item_add": Entry(
        EDITOR_REVIEW_ACTION, method="post", kwargs=_review_pk, data=_item_data
    ),
    "action_item_toggle": Entry(TOGGLE_ACTION, method="post", kwargs=_item_pks),
}
