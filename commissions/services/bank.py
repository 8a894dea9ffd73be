"""Payout bank details: one set per partner, every change kept and announced to the partner's
admins in the portal and by email (a security notice: emailed whatever their notification
preferences)."""

from __future__ import annotations

import re

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from partners.models import Membership, Partner
from prm.core.errors import DomainError
from prm.core.events import event_record
from prm.core.money import MINOR_UNITS
from prm.notifications.models import Category
from prm.notifications.services import notify

from ..models import BankDetails, BankDetailsChange

_ACCOUNT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{2,32}[A-Za-z0-9]$")
_CODE = re.compile(r"^[A-Za-z0-9]{3,34}$")


def mask_account(number: str) -> str:
    """An account number as pages and emails show it: all but the last four characters hidden."""
    compact = re.sub(r"[\s-]", "", number or "")
    if not compact:
        return ""
    return "•" * max(len(compact) - 4, 0) + compact[-4:]


def masked(values: dict[str, str]) -> dict[str, str]:
    """A copy of bank details with the account number masked."""
    if not values:
        return {}
    return {**values, "account_number": mask_account(values.get("account_number", ""))}


def _clean(data: dict[str, str]) -> dict[str, str]:
    values = {name: " ".join(str(data.get(name, "") or "").split()) for name in BankDetails.FIELDS}
    labels = {
        "bank_name": _("bank name"),
        "account_holder": _("account holder"),
        "account_number": _("account number"),
        "branch_code": _("SWIFT or branch code"),
        "currency": _("currency"),
    }
    for name in BankDetails.FIELDS:
        if not values[name]:
            raise DomainError(_("Give the %(field)s.") % {"field": labels[name]}, field=name)
    if not _ACCOUNT.match(values["account_number"]):
        raise DomainError(
            _("The account number takes 4 to 34 letters and digits (spaces and hyphens allowed)."),
            field="account_number",
        )
    values["branch_code"] = values["branch_code"].upper()
    if not _CODE.match(values["branch_code"]):
        raise DomainError(
            _("The SWIFT or branch code takes 3 to 34 letters and digits."), field="branch_code"
        )
    values["currency"] = values["currency"].upper()
    if values["currency"] not in MINOR_UNITS:
        raise DomainError(_("Choose one of the listed currencies."), field="currency")
    for name in ("bank_name", "account_holder"):
        if len(values[name]) > 200:
            raise DomainError(
                _("The %(field)s is at most 200 characters.") % {"field": labels[name]},
                field=name,
            )
    return values


def bank_details_get(*, partner: Partner) -> BankDetails | None:
    return BankDetails.objects.filter(partner=partner).first()


def bank_details_current(*, partner: Partner) -> dict[str, str]:
    details = bank_details_get(partner=partner)
    return details.as_dict() if details else {}


@transaction.atomic
def bank_details_save(*, partner: Partner, actor, data: dict[str, str]) -> BankDetails:
    """Set the partner's payout bank details. The caller has checked that `actor` may and has
    just re-authenticated. Saving the same values again changes and announces nothing."""
    values = _clean(data)
    details = BankDetails.objects.select_for_update().filter(partner=partner).first()
    before = details.as_dict() if details else {}
    if before == values:
        return details
    if details is None:
        details = BankDetails(partner=partner)
    for name, value in values.items():
        setattr(details, name, value)
    details.updated_by = actor
    details.save()
    BankDetailsChange.objects.create(partner=partner, changed_by=actor, before=before, after=values)
    event_record(
        actor=actor,
        verb="bank_details.changed",
        target=details,
        partner=partner,
        before=masked(before),
        after=masked(values),
    )
    _tell_admins(partner=partner, actor=actor, before=before, after=values)
    return details


def _tell_admins(*, partner: Partner, actor, before: dict, after: dict) -> None:
    """Every active admin of the partner, each in their own language; the email goes out by
    Celery once the change commits."""
    admins = [
        m.user
        for m in Membership.objects.filter(
            partner=partner, role=Membership.Role.ADMIN, is_active=True, user__is_active=True
        ).select_related("user")
    ]
    notify(
        users=admins,
        category=Category.PAYOUTS,
        template="commissions/email/bank_details_changed",
        context={
            "partner": partner,
            "actor": actor,
            "before": masked(before),
            "after": masked(after),
        },
        url=reverse("bank_details", kwargs={"code": partner.code}),
        partner=partner,
        channels=False,
        always_email=True,
    )


def bank_details_history(*, partner: Partner):
    return BankDetailsChange.objects.filter(partner=partner).select_related("changed_by")
