"""Users of a partner: invitations (sent, revoked, accepted) and role changes."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from prm.core.access import MEMBER_MANAGER_ROLES
from prm.core.errors import DomainError

from ..forms import InvitationForm, MembershipRoleForm
from ..middleware import SESSION_KEY
from ..models import Invitation
from ..selectors import invitation_get_by_key, membership_get
from ..services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
)
from ..signup import invitation_remember
from .base import ActionView, PartnerScopedMixin


def _users_section(partner) -> str:
    return reverse("partner_detail", kwargs={"code": partner.code}) + "#users"


class InvitationCreateView(PartnerScopedMixin, ActionView):
    """Vendor staff invite a partner's first users; partner admins invite colleagues."""

    allowed_roles = MEMBER_MANAGER_ROLES

    def post(self, request, code):
        partner = self.get_partner()
        form = InvitationForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return redirect(_users_section(partner))
        try:
            invitation = invitation_create(
                partner=partner,
                actor=request.user,
                site_url=request.build_absolute_uri("/"),
                language=getattr(request, "LANGUAGE_CODE", ""),
                **form.cleaned_data,
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s.") % {"email": invitation.email},
            )
        return redirect(_users_section(partner))


class InvitationRevokeView(PartnerScopedMixin, ActionView):
    allowed_roles = MEMBER_MANAGER_ROLES

    def post(self, request, code, pk):
        partner = self.get_partner()
        invitation = partner.invitations.filter(pk=pk).first()
        if invitation is None:
            raise Http404
        try:
            invitation_revoke(invitation=invitation, actor=request.user)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request,
                _("The invitation to %(email)s was revoked.") % {"email": invitation.email},
            )
        return redirect(_users_section(partner))


class MembershipRoleChangeView(PartnerScopedMixin, ActionView):
    """Partner admins (and vendor staff) change a colleague's role."""

    allowed_roles = MEMBER_MANAGER_ROLES

    def post(self, request, code, pk):
        partner = self.get_partner()
        membership = membership_get(partner=partner, pk=pk)
        form = MembershipRoleForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return redirect(_users_section(partner))
        try:
            membership = membership_change_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": membership.user.get_full_name(), "role": membership.get_role_display()},
            )
        return redirect(_users_section(partner))


class InvitationAcceptView(TemplateView):
    """The emailed link. It explains the invitation and offers the next step: create an
    account (allauth sign-up, opened by the invitation), sign in, or join when signed in with
    the invited address. Joining is a POST."""

    public = True
    template_name = "partners/invitation_accept.html"

    def dispatch(self, request, *args, **kwargs):
        self.invitation = invitation_get_by_key(key=kwargs["key"])
        if self.invitation is None:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invitation = self.invitation
        user = self.request.user
        context["invitation"] = invitation
        context["usable"] = invitation.is_usable
        if not invitation.is_usable:
            return context
        if user.is_authenticated:
            context["email_matches"] = user.email.lower() == invitation.email.lower()
        else:
            # The sign-up form reads these: it opens for this invitation, and the address the
            # link was emailed to counts as verified.
            invitation_remember(self.request, invitation)
            get_adapter(self.request).stash_verified_email(self.request, invitation.email)
            context["has_account"] = (
                get_user_model().objects.filter(email__iexact=invitation.email).exists()
            )
        return context

    def post(self, request, key):
        invitation: Invitation = self.invitation
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)
        request.session[SESSION_KEY] = membership.partner_id
        messages.success(
            request,
            _("Welcome to %(partner)s.") % {"partner": membership.partner.display_name},
        )
        return redirect("dashboard")
