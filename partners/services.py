"""Writes on partners and memberships. Each runs in one transaction and records its event."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record

from .models import Membership, Partner, Tier
from .permissions import grant_partner_management, revoke_partner_management

# Allowed status moves; anything else is refused with InvalidTransitionError.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Partner.Status.PROSPECT: {Partner.Status.ONBOARDING, Partner.Status.TERMINATED},
    Partner.Status.ONBOARDING: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.ACTIVE: {Partner.Status.SUSPENDED, Partner.Status.TERMINATED},
    Partner.Status.SUSPENDED: {Partner.Status.ACTIVE, Partner.Status.TERMINATED},
    Partner.Status.TERMINATED: set(),
}


@transaction.atomic
def partner_create(
    *,
    actor,
    code: str,
    name: str,
    local_name: str = "",
    legal_name: str = "",
    country: str = "TW",
    currency: str = "TWD",
    tier: Tier | None = None,
    account_manager=None,
    status: str = Partner.Status.PROSPECT,
) -> Partner:
    """Create a partner organisation and grant its account manager access to it."""
    partner = Partner(
        code=code,
        name=name,
        local_name=local_name,
        legal_name=legal_name,
        country=country,
        currency=currency,
        tier=tier,
        status=status,
    )
    partner.full_clean()
    partner.save()
    event_record(
        actor=actor, verb="partner.created", target=partner, partner=partner, after={"code": code}
    )
    if account_manager is not None:
        partner_assign_account_manager(partner=partner, manager=account_manager, actor=actor)
    return partner


@transaction.atomic
def partner_assign_account_manager(*, partner: Partner, manager, actor) -> Partner:
    """Make `manager` the partner's account manager; the object permission follows the role."""
    if manager is not None and not manager.is_vendor_staff:
        raise DomainError(_("Only vendor staff can manage a partner."), field="account_manager")
    previous = partner.account_manager
    if previous is not None and previous != manager:
        revoke_partner_management(user=previous, partner=partner)
    partner.account_manager = manager
    partner.save(update_fields=["account_manager", "updated_at"])
    if manager is not None:
        grant_partner_management(user=manager, partner=partner)
    event_record(
        actor=actor,
        verb="partner.account_manager_changed",
        target=partner,
        partner=partner,
        before={"account_manager": previous.email if previous else None},
        after={"account_manager": manager.email if manager else None},
    )
    return partner


@transaction.atomic
def partner_change_status(*, partner: Partner, status: str, actor, reason: str) -> Partner:
    """Move a partner along its lifecycle, recording who, when and why."""
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if status not in STATUS_TRANSITIONS[partner.status]:
        raise InvalidTransitionError(
            _("A partner cannot move from %(old)s to %(new)s.")
            % {"old": partner.get_status_display(), "new": Partner.Status(status).label}
        )
    if not reason.strip():
        raise DomainError(_("Give a reason for the status change."), field="reason")
    before = partner.status
    partner.status = status
    partner.save(update_fields=["status", "updated_at"])
    event_record(
        actor=actor,
        verb="partner.status_changed",
        target=partner,
        partner=partner,
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    return partner


@transaction.atomic
def membership_create(*, partner: Partner, user, role: str, actor) -> Membership:
    """Attach a user to a partner organisation with a role."""
    if user.is_vendor_staff:
        raise DomainError(_("Vendor staff cannot be members of a partner."), field="user")
    membership = Membership(partner=partner, user=user, role=role)
    membership.full_clean()
    membership.save()
    event_record(
        actor=actor,
        verb="membership.created",
        target=membership,
        partner=partner,
        after={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor) -> Membership:
    before = membership.role
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    event_record(
        actor=actor,
        verb="membership.role_changed",
        target=membership,
        partner=membership.partner,
        before={"role": before},
        after={"role": role},
    )
    return membership
