"""The verbs the disputes app records: every one belongs to the case pages (sales users do not
read them); internal notes are vendor staff's. A case event is filed under one party only (see
disputes.services._history_event), so in a channel conflict neither partner reads of the other."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Area, Audience, EventType, number_from_id, register

_case = number_from_id("CASE")


def _case_values(event):
    values = {"case": _case(event)}
    if event.after.get("owner_name"):
        values["owner"] = event.after["owner_name"]
    return values


def _status(event):
    if not event.before.get("status"):
        return _("%(actor)s opened %(case)s.")
    return None


def _message(event):
    if event.after.get("attachment"):
        return _("%(actor)s wrote on %(case)s, with an attachment.")
    return None


def case_event(verb, sentence, **options):
    return EventType(verb, sentence, area=Area.CASES, values=_case_values, **options)


register(
    case_event(
        "case.status_changed",
        _("%(actor)s moved %(case)s from %(old_status)s to %(status)s."),
        choices={"status": "disputes.Case.status"},
        choose=_status,
    ),
    case_event("case.message_added", _("%(actor)s wrote on %(case)s."), choose=_message),
    case_event(
        "case.note_added",
        _("%(actor)s added an internal note to %(case)s."),
        audience=Audience.VENDOR,
    ),
    case_event(
        "case.mediation_concluded", _("%(actor)s recorded the outcome of mediating %(case)s.")
    ),
    case_event(
        "case.parties_disclosed",
        _("%(actor)s let the parties of %(case)s see each other's name."),
    ),
    case_event("case.owner_changed", _("%(actor)s handed %(case)s to %(owner)s.")),
    case_event("case.rated", _("%(actor)s rated the resolution of %(case)s: %(rating)s of 5.")),
    case_event("case.escalated", _("%(case)s was escalated: a deadline passed.")),
)
