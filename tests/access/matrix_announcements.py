"""Access-matrix entries for announcements: vendor staff write and track them (a channel manager
only for their partners), partner users read those addressed to their organisation and its
partner admin acknowledges; another organisation's announcement answers 404."""

from .base import VENDOR_PAGE, Entry, _all

SIGNED_IN_PAGE = _all(200, anonymous=302)
VENDOR_DRAFT_PAGE = _all(403, anonymous=302, vendor_admin=200, cm_assigned=200, cm_unassigned=404)
VENDOR_DRAFT_ACTION = _all(403, anonymous=302, vendor_admin=302, cm_assigned=302, cm_unassigned=404)


def _published(world):
    """A price change sent to partner A only (so partner B's admin gets 404)."""
    from partners.models import Announcement
    from partners.services import announcement_create, announcement_publish

    announcement = announcement_create(
        actor=world.users["vendor_admin"],
        title="New price list",
        body="List prices change next month.",
        category=Announcement.Category.PRICE_CHANGE,
        audience=Announcement.Audience.PARTNERS,
        partners=[world.partner],
    )
    announcement_publish(announcement=announcement, actor=world.users["vendor_admin"])
    return {"pk": announcement.pk}


def _draft(world):
    """A draft of partner A's channel manager, addressed to all (their partners)."""
    from partners.models import Announcement
    from partners.services import announcement_create

    announcement = announcement_create(
        actor=world.users["cm_assigned"],
        title="Roadmap briefing",
        body="Join the roadmap briefing.",
        category=Announcement.Category.PRODUCT_UPDATE,
    )
    return {"pk": announcement.pk}


ENTRIES: dict[str, Entry] = {
    "announcement_list": Entry(SIGNED_IN_PAGE),
    "announcement_create": Entry(VENDOR_PAGE),
    "announcement_detail": Entry(
        _all(200, anonymous=302, cm_unassigned=404, other_partner=404), kwargs=_published
    ),
    "announcement_edit": Entry(VENDOR_DRAFT_PAGE, kwargs=_draft),
    "announcement_delete": Entry(VENDOR_DRAFT_ACTION, method="post", kwargs=_draft),
    "announcement_publish": Entry(VENDOR_DRAFT_ACTION, method="post", kwargs=_draft),
    "announcement_remind": Entry(VENDOR_DRAFT_ACTION, method="post", kwargs=_published),
    "announcement_acknowledge": Entry(
        _all(403, anonymous=302, partner_admin=302, other_partner=404),
        method="post",
        kwargs=_published,
    ),
}
