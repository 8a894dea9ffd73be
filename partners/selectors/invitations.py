"""Reads of invitations."""

from __future__ import annotations

from ..models import Invitation, invitation_key_hash


def invitation_get_by_key(*, key: str) -> Invitation | None:
    """The invitation an emailed key belongs to, whatever its state, or None."""
    return (
        Invitation.objects.select_related("partner")
        .filter(key_hash=invitation_key_hash(key))
        .first()
    )


def invitation_get_usable(*, pk: int | None) -> Invitation | None:
    """The invitation `pk` if it can still be accepted."""
    if pk is None:
        return None
    invitation = Invitation.objects.select_related("partner").filter(pk=pk).first()
    if invitation is None or not invitation.is_usable:
        return None
    return invitation
