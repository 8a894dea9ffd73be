"""The verbs the commissions app records: statements and adjustments belong to the payout
pages (sales users do not read them); plan versions are the vendor's."""

from django.utils.translation import gettext_lazy as _

from prm.core.events import Area, Audience, EventType, amount, register


def _total(event):
    return {"total": amount(event.after.get("total"), event.after.get("currency"))}


def _adjustment(event):
    if event.after.get("corrects"):
        return _("%(actor)s added an adjustment of %(amount)s, correcting %(corrects)s.")
    return None


register(
    EventType(
        "statement.approved",
        _("%(actor)s approved the statement for %(period)s (total %(total)s)."),
        area=Area.PAYOUTS,
        values=_total,
    ),
    EventType(
        "statement.paid",
        _("%(actor)s marked the statement for %(period)s paid (reference %(reference)s)."),
        area=Area.PAYOUTS,
    ),
    EventType(
        "statement.acknowledged",
        _("%(actor)s acknowledged the statement for %(period)s."),
        area=Area.PAYOUTS,
    ),
    EventType(
        "bank_details.changed",
        _("%(actor)s changed the payout bank details."),
        area=Area.PAYOUTS,
    ),
    EventType(
        "adjustment.created",
        _("%(actor)s added an adjustment of %(amount)s."),
        area=Area.PAYOUTS,
        choose=_adjustment,
        values=lambda e: {"amount": amount(e.after.get("amount"), e.after.get("currency"))},
    ),
    EventType(
        "commission_plan.version_saved",
        _("%(actor)s saved commission plan %(plan)s, effective %(effective_from)s."),
        audience=Audience.VENDOR,
    ),
    EventType(
        "exchange_rate.saved",
        _("%(actor)s saved the exchange rate %(pair)s %(rate)s from %(date)s."),
        audience=Audience.VENDOR,
    ),
    EventType(
        "exchange_rate.deleted",
        _("%(actor)s deleted the exchange rate %(old_pair)s %(old_rate)s from %(old_date)s."),
        audience=Audience.VENDOR,
    ),
    EventType(
        "target.loaded",
        _("%(actor)s loaded the agreed target of %(amount)s for %(period)s."),
        values=lambda e: {"amount": amount(e.after.get("amount"), e.after.get("currency"))},
    ),
)
