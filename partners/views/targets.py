"""Targets set jointly: the scorecard, the negotiation threads, proposals and answers."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from prm.core.access import ALL_ROLES, TARGET_NEGOTIATOR_ROLES
from prm.core.errors import DomainError

from ..forms import TargetCounterForm, TargetProposalForm
from ..models import TargetProposal
from ..selectors import target_proposal_get, target_scorecard, target_thread_list
from ..services import target_proposal_accept, target_proposal_counter, target_propose, target_side
from .base import ActionView, PartnerScopedMixin


def _targets_url(partner) -> str:
    return reverse("target_list", kwargs={"code": partner.code})


class TargetListView(PartnerScopedMixin, TemplateView):
    """Actual vs agreed target per month, and every proposal made on the way."""

    allowed_roles = ALL_ROLES
    template_name = "partners/target_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = self.get_partner()
        can_negotiate = self.role in TARGET_NEGOTIATOR_ROLES
        context.update(
            partner=partner,
            scorecard=target_scorecard(partner=partner),
            targets=target_thread_list(partner=partner),
            can_negotiate=can_negotiate,
            my_side=target_side(self.request.user) if can_negotiate else None,
            open_status=TargetProposal.Status.OPEN,
            propose_form=TargetProposalForm(auto_id="propose_%s") if can_negotiate else None,
            counter_form=TargetCounterForm() if can_negotiate else None,
        )
        return context


class TargetProposeView(PartnerScopedMixin, ActionView):
    allowed_roles = TARGET_NEGOTIATOR_ROLES

    def post(self, request, code):
        partner = self.get_partner()
        form = TargetProposalForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return redirect(_targets_url(partner))
        try:
            proposal = target_propose(partner=partner, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request,
                _("Your proposal for %(period)s was sent.") % {"period": proposal.target.period},
            )
        return redirect(_targets_url(partner))


class TargetProposalAcceptView(PartnerScopedMixin, ActionView):
    allowed_roles = TARGET_NEGOTIATOR_ROLES

    def post(self, request, code, pk):
        partner = self.get_partner()
        proposal = target_proposal_get(partner=partner, pk=pk)
        try:
            target = target_proposal_accept(proposal=proposal, actor=request.user)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(
                request, _("The target for %(period)s is agreed.") % {"period": target.period}
            )
        return redirect(_targets_url(partner))


class TargetProposalCounterView(PartnerScopedMixin, ActionView):
    allowed_roles = TARGET_NEGOTIATOR_ROLES

    def post(self, request, code, pk):
        partner = self.get_partner()
        proposal = target_proposal_get(partner=partner, pk=pk)
        form = TargetCounterForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return redirect(_targets_url(partner))
        try:
            target_proposal_counter(proposal=proposal, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            self.domain_error(exc)
        else:
            messages.success(request, _("Your counter-proposal was sent."))
        return redirect(_targets_url(partner))
