"""Sign-up by invitation: the invitation a visitor is signing up through, kept in their session
between the emailed link and allauth's sign-up form, and the allauth adapter that honours it."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

from .middleware import SESSION_KEY as CURRENT_PARTNER_SESSION_KEY
from .models import Invitation
from .selectors import invitation_get_usable
from .services import invitation_accept

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


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is by invitation unless PRM_SIGNUP_OPEN is set; mail goes through Celery.

    An invitation link (partners.views.InvitationAcceptView) keeps the invitation in the session
    and stashes its address as verified (the link was emailed to it): the sign-up form then
    opens, must use that address, and the new user joins the partner with the invited role.
    """

    def is_open_for_signup(self, request) -> bool:
        if getattr(settings, "ACCOUNT_SIGNUP_OPEN", False):
            return True
        return invitation_pending(request) is not None

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        request = context.request
        invitation = invitation_pending(request) if request is not None else None
        if invitation is not None and email.lower() != invitation.email.lower():
            raise forms.ValidationError(
                _("Sign up with the address the invitation was sent to: %(email)s.")
                % {"email": invitation.email}
            )
        return email

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        invitation = invitation_pending(request)
        if commit and invitation is not None:
            membership = invitation_accept(invitation=invitation, user=user)
            invitation_forget(request)
            request.session[CURRENT_PARTNER_SESSION_KEY] = membership.partner_id
        return user
