"""Price-protection pages under /funds/: the partner's purchases, the claims (a review queue for
vendor staff), a claim with its deadline, the credit line by line before it is declared, the
partner's sales since the purchases for the vendor's audit, and the decision."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from commissions.models import Sale
from prm.core.access import (
    PROTECTION_DECLARE_ROLES,
    PROTECTION_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    is_vendor,
    request_role,
)
from prm.core.errors import DomainError

from .models import PriceProtectionClaim
from .protection import claim_decide, claim_declare, claim_preview, eligible_purchases
from .selectors import (
    protection_claim_get,
    protection_claim_visible_queryset,
    purchase_visible_queryset,
)

LIST_LIMIT = 100
S = PriceProtectionClaim.Status


class PurchaseListView(RoleRequiredMixin, TemplateView):
    allowed_roles = PROTECTION_ROLES
    template_name = "funds/purchase_list.html"

    def get_context_data(self, **kwargs):
        request = self.request
        purchases = purchase_visible_queryset(user=request.user, current_partner=request.partner)
        return {
            **super().get_context_data(**kwargs),
            "purchases": list(
                purchases.order_by("-invoice_date", "-invoice_number", "-line")[:LIST_LIMIT]
            ),
            "is_vendor": is_vendor(request),
        }


class ProtectionClaimListView(RoleRequiredMixin, TemplateView):
    allowed_roles = PROTECTION_ROLES
    template_name = "funds/protection_list.html"

    def get_context_data(self, **kwargs):
        request = self.request
        claims = protection_claim_visible_queryset(
            user=request.user, current_partner=request.partner
        )
        vendor = is_vendor(request)
        waiting = S.SUBMITTED if vendor else S.OPEN
        return {
            **super().get_context_data(**kwargs),
            "waiting": list(claims.filter(status=waiting).order_by("deadline", "pk")[:LIST_LIMIT]),
            "claims": list(
                claims.exclude(status=waiting).order_by("-effective_date", "-pk")[:LIST_LIMIT]
            ),
            "is_vendor": vendor,
        }


class ProtectionClaimDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = PROTECTION_ROLES
    template_name = "funds/protection_detail.html"

    def get_context_data(self, **kwargs):
        request = self.request
        claim = protection_claim_get(
            user=request.user, current_partner=request.partner, pk=kwargs["pk"]
        )
        vendor = is_vendor(request)
        can_declare = request_role(request) in PROTECTION_DECLARE_ROLES and claim.status == S.OPEN
        preview, on_hand = None, request.GET.get("on_hand", "")
        if can_declare and on_hand:
            try:
                preview = claim_preview(claim, on_hand)
            except DomainError as exc:
                messages.error(request, exc.message)
        sales = []
        if vendor:
            purchases = eligible_purchases(claim)
            if purchases:
                since = min(p.invoice_date for p in purchases)
                sales = list(
                    Sale.objects.filter(
                        partner_id=claim.partner_id,
                        product_id=claim.product_id,
                        invoice_date__gte=since,
                    ).order_by("invoice_date", "external_id")[:LIST_LIMIT]
                )
        return {
            **super().get_context_data(**kwargs),
            "claim": claim,
            "lines": list(claim.lines.select_related("purchase")),
            "preview": preview,
            "preview_credit": sum(line.credit for line in preview) if preview else None,
            "on_hand": on_hand,
            "can_declare": can_declare,
            "can_decide": vendor and claim.status == S.SUBMITTED,
            "sales": sales,
            "is_vendor": vendor,
        }


class ProtectionClaimDeclareView(RoleRequiredMixin, View):
    allowed_roles = PROTECTION_DECLARE_ROLES
    http_method_names = ["post"]

    def post(self, request, pk):
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        try:
            claim_declare(actor=request.user, claim=claim, on_hand=request.POST.get("on_hand"))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your declaration was submitted for review."))
        return redirect("protection_claim_detail", pk=pk)


class ProtectionClaimDecideView(RoleRequiredMixin, View):
    allowed_roles = VENDOR_ROLES
    http_method_names = ["post"]

    def post(self, request, pk):
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        try:
            claim = claim_decide(
                actor=request.user,
                claim=claim,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(number)s: %(status)s.")
                % {"number": claim.number, "status": claim.get_status_display()},
            )
        return redirect("protection_claim_detail", pk=pk)
