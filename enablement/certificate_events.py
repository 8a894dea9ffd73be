"""The verbs the certificates record: a certificate earned, an expiry reminder sent. Both are
filed under each partner the holder belongs to, which reads them with vendor staff."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import EventType, register

register(
    EventType(
        "certificate.earned",
        _(
            "%(holder)s earned the %(certification)s certification (%(code)s); it expires on "
            "%(expires)s."
        ),
        icon="bi-award-fill",
    ),
    EventType(
        "certificate.reminder_sent",
        _("%(holder)s was reminded that the %(certification)s certificate expires on %(expires)s."),
        icon="bi-hourglass-split",
    ),
)
