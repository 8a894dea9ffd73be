"""The verbs the agreements app records: agreements, their versions and questions, prices. An
overlap of exclusive scope concerns two partners, so it belongs to neither: vendor staff read it,
the partners concerned read only that their agreement is under review."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Audience, EventType, register


def _numbered(numbered, plain):
    """The sentence naming the agreement when the event stored its number (older rows did
    not)."""
    return lambda event: numbered if event.after.get("number") else plain


def _accepted(event):
    if event.after.get("source") == "program":
        return _("Version %(version)s is in force as the signed contract.")
    return None


register(
    EventType("agreement.created", _("%(actor)s created agreement %(number)s.")),
    EventType(
        "agreement_version.published",
        _("%(actor)s published version %(version)s of %(number)s."),
        values=lambda e: {"number": e.after.get("agreement")},
    ),
    EventType(
        "agreement_version.accepted",
        _("%(actor)s accepted version %(version)s, in force from %(date)s."),
        choose=_accepted,
        values=lambda e: {"date": e.after.get("in_force_from")},
    ),
    EventType(
        "agreement_version.withdrawn",
        _("Version %(version)s was withdrawn in favour of a newer proposal."),
        values=lambda e: {"version": e.before.get("version")},
    ),
    EventType(
        "agreement_question.asked", _("%(actor)s asked a question about version %(version)s.")
    ),
    EventType(
        "agreement.termination_notified",
        _("%(actor)s gave notice of termination, effective %(date)s."),
        values=lambda e: {"date": e.after.get("effective")},
    ),
    EventType("agreement.renewed", _("The agreement renewed until %(end)s.")),
    EventType(
        "agreement.expiring",
        _("The agreement is nearing its end."),
        choose=_numbered(_("Agreement %(number)s is nearing its end."), None),
    ),
    EventType(
        "agreement.expired",
        _("The agreement expired."),
        choose=_numbered(_("Agreement %(number)s expired."), None),
    ),
    EventType(
        "agreement.terminated",
        _("The agreement was terminated."),
        choose=_numbered(_("Agreement %(number)s was terminated."), None),
    ),
    EventType(
        "agreement.exclusivity_conflict",
        _("The exclusive scope of %(number)s overlaps %(other)s (%(territories)s / %(lines)s)."),
        audience=Audience.VENDOR,
    ),
    EventType(
        "price.set",
        _(
            "%(actor)s set the list price of %(sku)s in %(price_list)s to %(list_price)s "
            "(MAP %(map_price)s)."
        ),
        audience=Audience.VENDOR,
    ),
)
