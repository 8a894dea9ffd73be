"""The verbs the funds app records, each about one fund request (MDF-000001) and filed under its
partner: requests, decisions, claims and expiry."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import EventType, amount, number_from_id, register

_number = number_from_id("MDF")


def _values(event):
    values = {"request": _number(event)}
    currency = event.after.get("currency")
    for key in ("amount", "approved_amount", "reimbursement", "actual_cost"):
        if event.after.get(key) is not None:
            values[key] = amount(event.after.get(key), currency)
    return values


def request_event(verb, sentence, **options):
    return EventType(verb, sentence, values=_values, **options)


register(
    request_event(
        "fund_request.created",
        _("%(actor)s requested %(amount)s from fund %(fund)s for %(request)s."),
    ),
    request_event(
        "fund_request.approved",
        _("%(actor)s approved %(approved_amount)s for %(request)s."),
    ),
    request_event("fund_request.rejected", _("%(actor)s rejected %(request)s.")),
    request_event("fund_request.cancelled", _("%(actor)s cancelled %(request)s.")),
    request_event(
        "fund_request.expired", _("%(request)s expired: no claim was approved by its deadline.")
    ),
    request_event(
        "fund_claim.submitted",
        _("%(actor)s claimed %(reimbursement)s for %(request)s (actual cost %(actual_cost)s)."),
    ),
    request_event(
        "fund_claim.approved",
        _("%(actor)s approved the claim for %(request)s: %(reimbursement)s on the next statement."),
    ),
    request_event("fund_claim.returned", _("%(actor)s returned the claim for %(request)s.")),
)
