"""The verbs the partners app records: organisation, members, deals, targets, reviews,
announcements, recognition. Deal registrations belong to the deal pages (finance users do not
read them); announcement reminders and publications concern many partners and stay with vendor
staff."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from prm.core.events import MISSING, Area, Audience, EventType, amount, localised, register


def _target_amount(event):
    return {"amount": amount(event.after.get("amount"), event.after.get("currency"))}


def _deal_registered(event):
    if event.after.get("conflict"):
        return _(
            "%(actor)s registered %(number)s (%(customer)s). It conflicts with another "
            "partner's registration."
        )
    return None


def _milestone(event):
    kind = event.after.get("kind")
    if kind == "target_reached":
        return _("Milestone: the target for %(key)s was reached.")
    if kind == "first_deal":
        return _("Milestone: the first approved deal (%(number)s).")
    if kind == "anniversary":
        years = event.after.get("years") or event.after.get("key") or 0
        try:
            years = int(years)
        except (TypeError, ValueError):
            years = 0
        return ngettext(
            "Milestone: %(years)s year of partnership.",
            "Milestone: %(years)s years of partnership.",
            years,
        )
    return _("Milestone: “%(award)s”.")


MILESTONE_ICONS = {
    "target_reached": "bi-bullseye",
    "first_deal": "bi-briefcase-fill",
    "anniversary": "bi-calendar-heart",
}


def _milestone_values(event):
    years = event.after.get("years") or event.after.get("key") or MISSING
    return {"award": localised(event, "award", "local_award"), "years": years}


def _published(event):
    return ngettext(
        "%(actor)s published the announcement “%(title)s” to %(recipients)s partner.",
        "%(actor)s published the announcement “%(title)s” to %(recipients)s partners.",
        int(event.after.get("recipients") or 0),
    )


def _reminded(event):
    return ngettext(
        "%(actor)s reminded %(partners)s partner to acknowledge “%(title)s”.",
        "%(actor)s reminded %(partners)s partners to acknowledge “%(title)s”.",
        int(event.after.get("partners") or 0),
    )


STATUS = {"status": "partners.Partner.status"}
ROLE = {"role": "partners.Membership.role"}

register(
    # the organisation
    EventType("partner.created", _("%(actor)s created the partner.")),
    EventType(
        "partner.status_changed",
        _("%(actor)s changed the status from %(old_status)s to %(status)s."),
        choices=STATUS,
    ),
    EventType(
        "partner.account_manager_changed",
        _("%(actor)s made %(account_manager)s the account manager."),
    ),
    EventType(
        "partner.risk_assessed",
        _("%(actor)s assessed the risk as %(risk_rating)s."),
        choices={"risk_rating": "partners.Partner.risk_rating"},
    ),
    EventType(
        "partner.award_granted",
        _("%(actor)s gave the partner “%(award)s”."),
        values=lambda e: {"award": localised(e, "award", "local_award")},
    ),
    EventType(
        "partner.award_revoked",
        _("%(actor)s withdrew “%(award)s”."),
        values=lambda e: {"award": e.before.get("award") or MISSING},
    ),
    EventType(
        "milestone.achieved",
        _("Milestone: “%(award)s”."),
        choose=_milestone,
        values=_milestone_values,
        icon=lambda e: MILESTONE_ICONS.get(e.after.get("kind"), "bi-trophy-fill"),
    ),
    # members
    EventType(
        "membership.created",
        _("%(actor)s added %(user)s to the organisation as %(role)s."),
        choices=ROLE,
    ),
    EventType(
        "membership.role_changed",
        _("%(actor)s changed a colleague's role from %(old_role)s to %(role)s."),
        choices=ROLE,
    ),
    EventType("invitation.sent", _("%(actor)s invited %(email)s as %(role)s."), choices=ROLE),
    EventType("invitation.accepted", _("%(email)s accepted the invitation.")),
    EventType("invitation.revoked", _("%(actor)s revoked the invitation to %(email)s.")),
    # deal registrations
    EventType(
        "deal.registered",
        _("%(actor)s registered %(number)s (%(customer)s)."),
        area=Area.DEALS,
        choose=_deal_registered,
    ),
    # Filed under the partner whose registration is flagged; it names that registration only.
    EventType(
        "deal.conflict_flagged",
        _("Another partner registered the customer of %(number)s for an overlapping product line."),
        area=Area.DEALS,
    ),
    EventType(
        "deal.approved",
        _("%(actor)s approved %(number)s; the customer is protected until %(protected_until)s."),
        area=Area.DEALS,
    ),
    EventType("deal.rejected", _("%(actor)s rejected %(number)s."), area=Area.DEALS),
    EventType("deal.expired", _("The protection of %(number)s ended."), area=Area.DEALS),
    EventType(
        "deal.expiry_warned",
        _("The protection of %(number)s ends on %(protected_until)s; the partner was reminded."),
        area=Area.DEALS,
    ),
    # targets
    EventType(
        "target.proposed",
        _("%(actor)s proposed a target of %(amount)s for %(period)s."),
        values=_target_amount,
    ),
    EventType(
        "target.countered",
        _("%(actor)s answered with %(amount)s for %(period)s."),
        values=_target_amount,
    ),
    EventType(
        "target.agreed",
        _("%(actor)s agreed the target of %(amount)s for %(period)s."),
        values=_target_amount,
    ),
    # business reviews
    EventType(
        "review.scheduled", _("The next business review was scheduled for %(scheduled_at)s.")
    ),
    EventType("review.rescheduled", _("%(actor)s moved the business review to %(scheduled_at)s.")),
    EventType("review.cancelled", _("%(actor)s cancelled the business review.")),
    EventType(
        "review.held",
        _("%(actor)s marked the business review held; its scorecard was recorded."),
    ),
    EventType("review.overdue", _("The business review is overdue.")),
    EventType("review.notes_edited", _("%(actor)s edited the review notes.")),
    EventType("action_item.added", _("%(actor)s added the action “%(title)s” for %(owner)s.")),
    EventType("action_item.done", _("%(actor)s ticked off “%(title)s”.")),
    EventType("action_item.reopened", _("%(actor)s reopened “%(title)s”.")),
    # announcements
    EventType(
        "announcement.published",
        _("%(actor)s published the announcement “%(title)s”."),
        audience=Audience.VENDOR,
        choose=_published,
        values=lambda e: {"title": localised(e, "title", "local_title")},
    ),
    EventType(
        "announcement.acknowledged",
        _("%(actor)s acknowledged the announcement “%(title)s”."),
        values=lambda e: {"title": localised(e, "title", "local_title")},
    ),
    EventType(
        "announcement.reminded",
        _("%(actor)s reminded partners to acknowledge “%(title)s”."),
        audience=Audience.VENDOR,
        choose=_reminded,
    ),
)
