"""The invitation a visitor is signing up through, kept in their session between the emailed
link and allauth's sign-up form."""

from __future__ import annotations

from .models import Invitation
from .selectors import invitation_get_usable

SESSION_KEY = "partners_invitation_id"


def invitation_remember(request, invitation: Invitation) -> None:
    request.session[SESSION_KEY] = invitation.pk


def invitation_pending(request) -> Invitation | None:
    """The session's invitation while it can still be accepted."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    return invitation_get_usable(pk=session.get(SESSION_KEY))


def invitation_forget(request) -> None:
    request.session.pop(SESSION_KEY, None)
