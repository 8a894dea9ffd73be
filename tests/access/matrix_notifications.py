"""Access-matrix entries for the notification centre: everyone signed in has their own."""

from .base import Entry, _all

SIGNED_IN_PAGE = _all(200, anonymous=302)
SIGNED_IN_ACTION = _all(302)


def _partner_admin_notification(world):
    """A notification of partner A's admin: only they may mark it read; others get 404."""
    from prm.notifications.models import Notification

    notification = Notification.objects.create(
        recipient=world.users["partner_admin"], category="deals", title="Hi", delivery="in_app"
    )
    return {"pk": notification.pk}


ENTRIES: dict[str, Entry] = {
    "notification_list": Entry(SIGNED_IN_PAGE),
    "notification_badge": Entry(SIGNED_IN_PAGE),
    "notification_preferences": Entry(SIGNED_IN_PAGE),
    "notification_read_all": Entry(SIGNED_IN_ACTION, method="post"),
    "api:notification-list": Entry(_all(200, anonymous=401)),
    "api:notification-read": Entry(_all(200, anonymous=401), method="post"),
    "notification_read": Entry(
        _all(404, anonymous=302, partner_admin=302),
        method="post",
        kwargs=_partner_admin_notification,
    ),
}
