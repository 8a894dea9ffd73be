"""Tier pages: the vendor's review queue at /tiers/reviews/ and "what you need for the next
tier" at /tiers/next/ (vendor staff name the partner with ?partner=CODE)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from partners.selectors import partner_choice_rows, partner_get
from partners.views.base import ActionView
from prm.core.access import ALL_ROLES, VENDOR_ROLES, RoleRequiredMixin, request_role
from prm.core.errors import DomainError

from .moves import (
    gap_rows,
    tier_change_get_pending,
    tier_next_get,
    tier_promotion_approve,
    tier_promotion_reject,
    tier_review_list,
)

# Vendor staff decide on tier promotions: vendor admins for every partner, channel managers for
# the partners they manage (the selectors scope the rows).
TIER_REVIEW_ROLES = VENDOR_ROLES


class TierDecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=2000, required=False, widget=forms.Textarea
    )


class TierReviewListView(RoleRequiredMixin, TemplateView):
    """Pending promotions with their evidence, and demotion notices with their dates."""

    allowed_roles = TIER_REVIEW_ROLES
    template_name = "enablement/tier_review_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queue = tier_review_list(user=self.request.user)
        for change in queue["promotions"] + queue["notices"]:
            change.rows = gap_rows(change.evidence.get("requirements", []), change.partner.currency)
        context.update(queue)
        return context


class _TierDecisionView(ActionView):
    allowed_roles = TIER_REVIEW_ROLES

    def post(self, request, pk):
        change = tier_change_get_pending(user=request.user, pk=pk)
        form = TierDecisionForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
        else:
            try:
                self.decide(change, form.cleaned_data["reason"])
            except DomainError as exc:
                self.domain_error(exc)
        return redirect("tier_review_list")


class TierPromotionApproveView(_TierDecisionView):
    def decide(self, change, reason: str) -> None:
        change = tier_promotion_approve(change=change, actor=self.request.user, reason=reason)
        messages.success(
            self.request,
            _("%(partner)s moved to %(tier)s.")
            % {"partner": change.partner.display_name, "tier": change.to_tier.display_name},
        )


class TierPromotionRejectView(_TierDecisionView):
    def decide(self, change, reason: str) -> None:
        change = tier_promotion_reject(change=change, actor=self.request.user, reason=reason)
        messages.success(
            self.request,
            _("The promotion of %(partner)s to %(tier)s was rejected.")
            % {"partner": change.partner.display_name, "tier": change.to_tier.display_name},
        )


class TierNextView(RoleRequiredMixin, TemplateView):
    """Each requirement of the tier above, required against actual, and any open change: a
    promotion awaiting approval, or a demotion notice with what would stop it."""

    allowed_roles = ALL_ROLES
    template_name = "enablement/tier_next.html"

    def get_partner(self):
        code = self.request.GET.get("partner", "")
        if code:
            return partner_get(
                user=self.request.user, code=code, current_partner=self.request.partner
            )
        if request_role(self.request) in VENDOR_ROLES:
            return None
        return self.request.partner

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = self.get_partner()
        if request_role(self.request) in VENDOR_ROLES:
            context["partner_choices"] = partner_choice_rows(user=self.request.user)
        context["tier_partner"] = partner
        if partner is not None:
            context["next"] = tier_next_get(partner=partner)
        return context
