"""The verbs the funds app records, each about one fund request (MDF-000001) and filed under its
partner: requests, decisions, claims and expiry."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Area, EventType, amount, number_from_id, register

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

_claim = number_from_id("PP")


def _claim_values(event):
    currency = event.after.get("currency")
    values = {"claim": _claim(event)}
    for key in ("credit", "previous_net_price", "new_net_price"):
        if event.after.get(key) is not None:
            values[key] = amount(event.after.get(key), currency)
    return values


def claim_event(verb, sentence):
    return EventType(verb, sentence, values=_claim_values, area=Area.PAYOUTS)


register(
    claim_event(
        "price_protection.opened",
        _(
            "%(claim)s opened: the net price of %(sku)s falls from %(previous_net_price)s to "
            "%(new_net_price)s on %(effective_date)s."
        ),
    ),
    claim_event(
        "price_protection.declared",
        _("%(actor)s declared %(on_hand)s units on hand for %(claim)s: credit %(credit)s."),
    ),
    claim_event(
        "price_protection.approved",
        _("%(actor)s approved %(claim)s: %(credit)s on the next statement."),
    ),
    claim_event("price_protection.rejected", _("%(actor)s rejected %(claim)s.")),
    claim_event("price_protection.expired", _("%(claim)s expired: no units were declared.")),
)
