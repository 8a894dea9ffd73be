"""Writes on partners and memberships. Each runs in one transaction and records its event."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.events import event_record

from ..models import Membership, Partner, RiskAssessment, Segment, Territory, Tier
from ..permissions import grant_partner_management, revoke_partner_management

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
    tax_id: str = "",
    country: str = "TW",
    currency: str = "TWD",
    tier: Tier | None = None,
    account_manager=None,
    status: str = Partner.Status.PROSPECT,
    territories: Iterable[Territory] = (),
    segments: Iterable[Segment] = (),
) -> Partner:
    """Create a partner organisation and grant its account manager access to it."""
    partner = Partner(
        code=code,
        name=name,
        local_name=local_name,
        legal_name=legal_name,
        tax_id=tax_id,
        country=country,
        currency=currency,
        tier=tier,
        status=status,
    )
    partner.full_clean()
    partner.save()
    territories, segments = list(territories), list(segments)
    if territories:
        partner.territories.set(territories)
    if segments:
        partner.segments.set(segments)
    event_record(
        actor=actor,
        verb="partner.created",
        target=partner,
        partner=partner,
        after={
            "code": code,
            "territories": [t.code for t in territories],
            "segments": [s.code for s in segments],
        },
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
    # The scheduled business review follows the account manager who organised it.
    partner.reviews.filter(status="scheduled", organiser=previous).update(organiser=manager)
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
    if status == Partner.Status.ACTIVE:
        from .reviews import review_schedule_next

        review_schedule_next(partner, actor=actor)
    return partner


@transaction.atomic
def partner_risk_update(
    *,
    partner: Partner,
    actor,
    risk_rating: str,
    credit_limit: Decimal,
    overdue_receivables: Decimal,
    reason: str,
) -> RiskAssessment:
    """Record a new assessment of the partner's financial risk; the previous values stay in the
    history and the partner row takes the new ones."""
    if not reason.strip():
        raise DomainError(_("Give a reason for the assessment."), field="reason")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    assessment = RiskAssessment(
        partner=partner,
        risk_rating=risk_rating,
        credit_limit=credit_limit,
        overdue_receivables=overdue_receivables,
        reason=reason.strip(),
        assessed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    assessment.full_clean()
    before = {
        "risk_rating": partner.risk_rating,
        "credit_limit": partner.credit_limit,
        "overdue_receivables": partner.overdue_receivables,
    }
    assessment.save()
    partner.risk_rating = risk_rating
    partner.credit_limit = credit_limit
    partner.overdue_receivables = overdue_receivables
    partner.save(update_fields=["risk_rating", "credit_limit", "overdue_receivables", "updated_at"])
    event_record(
        actor=actor,
        verb="partner.risk_assessed",
        target=partner,
        partner=partner,
        before=before,
        after={
            "risk_rating": risk_rating,
            "credit_limit": credit_limit,
            "overdue_receivables": overdue_receivables,
        },
        reason=assessment.reason,
    )
    return assessment


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
    """Give a member another role. An organisation always keeps at least one active admin."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = membership.role
    if before == role:
        return membership
    if before == Membership.Role.ADMIN and membership.is_active:
        other_admins = (
            Membership.objects.select_for_update()
            .filter(partner_id=membership.partner_id, role=Membership.Role.ADMIN, is_active=True)
            .exclude(pk=membership.pk)
        )
        if not other_admins.exists():
            raise DomainError(_("The organisation needs at least one partner admin."), field="role")
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


@transaction.atomic
def membership_reactivate(*, membership: Membership, role: str, actor) -> Membership:
    """Bring back a former member with the given role."""
    membership.is_active = True
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["is_active", "role", "updated_at"])
    event_record(
        actor=actor,
        verb="membership.created",
        target=membership,
        partner=membership.partner,
        after={"user": membership.user.email, "role": role},
    )
    return membership
