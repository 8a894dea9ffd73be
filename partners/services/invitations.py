"""Invitations: vendor staff invite a new partner's first users, partner admins their colleagues.
The emailed link leads to the allauth sign-up (or sign-in), which attaches the membership."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from prm.core.errors import DomainError
from prm.core.events import event_record

from ..models import Invitation, Membership, Partner, invitation_key_hash
from ..notifications import email_address
from .organisation import membership_create, membership_reactivate

INVITATION_VALID_DAYS = 14


@transaction.atomic
def invitation_create(
    *,
    partner: Partner,
    email: str,
    role: str,
    actor,
    site_url: str,
    full_name: str = "",
    language: str = "",
) -> Invitation:
    """Invite `email` to join `partner` as `role` and email the link.

    The link's key is returned once, as `invitation.plain_key`; only its hash is stored. A new
    invitation to the same address replaces a pending one.
    """
    email = get_user_model().objects.normalize_email(email.strip()).lower()
    if partner.status == Partner.Status.TERMINATED:
        raise DomainError(_("A terminated partner cannot invite users."))
    # An address of vendor staff is invited like any other (and refused when the link is
    # used, by membership_create): answering differently here would tell a partner admin which
    # addresses belong to vendor staff.
    existing_user = get_user_model().objects.filter(email__iexact=email).first()
    if Membership.objects.filter(
        partner=partner, user__email__iexact=email, is_active=True
    ).exists():
        raise DomainError(_("%(email)s is already a member.") % {"email": email}, field="email")
    Invitation.objects.filter(
        partner=partner, email=email, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED, updated_at=timezone.now())
    key = secrets.token_urlsafe(32)
    invitation = Invitation(
        partner=partner,
        email=email,
        full_name=full_name.strip(),
        role=role,
        key_hash=invitation_key_hash(key),
        expires_at=timezone.now() + timedelta(days=INVITATION_VALID_DAYS),
        invited_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    invitation.full_clean()
    invitation.save()
    event_record(
        actor=actor,
        verb="invitation.sent",
        target=invitation,
        partner=partner,
        after={"email": email, "role": role},
    )
    accept_url = site_url.rstrip("/") + reverse("invitation_accept", kwargs={"key": key})
    email_address(
        email=email,
        language=getattr(existing_user, "language", "") or language or settings.LANGUAGE_CODE,
        template="invitation",
        context={
            "partner_name": partner.display_name,
            "partner_code": partner.code,
            "role": invitation.role,
            "inviter": invitation.invited_by.get_full_name() if invitation.invited_by else "",
            "accept_url": accept_url,
            "expires_at": invitation.expires_at,
            "existing_account": existing_user is not None,
        },
    )
    invitation.plain_key = key
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Attach `user` (whose address the invitation went to) to the partner with the invited
    role. Accepting twice is harmless: the second time returns the membership."""
    invitation = (
        Invitation.objects.select_for_update().select_related("partner").get(pk=invitation.pk)
    )
    if invitation.status == Invitation.Status.ACCEPTED and invitation.accepted_by_id == user.pk:
        return Membership.objects.get(partner=invitation.partner, user=user)
    if not invitation.is_usable:
        raise DomainError(_("This invitation is no longer valid. Ask for a new one."))
    if user.email.lower() != invitation.email.lower():
        raise DomainError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}
        )
    membership = Membership.objects.filter(partner=invitation.partner, user=user).first()
    if membership is None:
        membership = membership_create(
            partner=invitation.partner, user=user, role=invitation.role, actor=user
        )
    elif not membership.is_active:
        membership = membership_reactivate(membership=membership, role=invitation.role, actor=user)
    if invitation.full_name and not user.full_name:
        user.full_name = invitation.full_name
        user.save(update_fields=["full_name"])
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "accepted_at", "updated_at"])
    event_record(
        actor=user,
        verb="invitation.accepted",
        target=invitation,
        partner=invitation.partner,
        after={"email": invitation.email, "role": invitation.role},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    """Withdraw a pending invitation; its link stops working at once."""
    updated = Invitation.objects.filter(pk=invitation.pk, status=Invitation.Status.PENDING).update(
        status=Invitation.Status.REVOKED, updated_at=timezone.now()
    )
    if not updated:
        raise DomainError(_("Only a pending invitation can be revoked."))
    invitation.refresh_from_db()
    event_record(
        actor=actor,
        verb="invitation.revoked",
        target=invitation,
        partner=invitation.partner,
        after={"email": invitation.email},
    )
    return invitation
