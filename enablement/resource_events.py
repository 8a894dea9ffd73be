"""The verbs the resource library records: a resource published, a new version, an
announcement drafted from it. A resource may reach many partners, so these belong to none of
them and are read by vendor staff only."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Audience, EventType, register

register(
    EventType(
        "resource.created",
        _("%(actor)s added the resource “%(title)s” to the library."),
        audience=Audience.VENDOR,
        icon="bi-journal-plus",
    ),
    EventType(
        "resource.version_added",
        _("%(actor)s added version %(number)s of the resource “%(title)s”."),
        audience=Audience.VENDOR,
        icon="bi-journal-arrow-up",
    ),
    EventType(
        "resource.announced",
        _("%(actor)s drafted an announcement of the resource “%(title)s”."),
        audience=Audience.VENDOR,
        icon="bi-megaphone",
    ),
)
