"""The verbs of the partner pulse and the ideas board. Each is filed under the partner concerned
(the one that answered, or the post's author), so no other partner reads it."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import EventType, register

register(
    EventType("pulse.answered", _("%(actor)s answered the partner pulse %(quarter)s.")),
    EventType("board.posted", _("%(actor)s posted “%(title)s” on the ideas board.")),
    EventType(
        "board.status_changed",
        _("%(actor)s set “%(title)s” on the ideas board to %(status)s."),
        choices={"status": "engagement.Post.status"},
    ),
    EventType("board.merged", _("%(actor)s merged “%(title)s” into “%(into)s”.")),
    EventType("board.hidden", _("%(actor)s hid “%(title)s” from the ideas board.")),
    EventType("board.shown", _("%(actor)s showed “%(title)s” on the ideas board again.")),
)
