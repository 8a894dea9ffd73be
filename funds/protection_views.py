"""Price-protection pages under /funds/: the partner's purchases, the claims (a review queue for
vendor staff), a claim with its deadline, the credit line by line before it is declared, the
partner's sales since the purchases for the vendor's audit, and the decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
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

from .forms import PurchaseImportForm
from .models import PriceProtectionClaim, PurchaseImport
from .protection import claim_decide, claim_declare, claim_preview, eligible_purchases
from .purchases import COLUMNS, purchases_import_enqueue
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


class PurchaseImportListView(RoleRequiredMixin, TemplateView):
    """Upload a purchases CSV; the import runs in a worker and its page shows the progress."""

    allowed_roles = VENDOR_ROLES
    template_name = "funds/purchase_import_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        imports = PurchaseImport.objects.select_related("created_by").order_by("-created_at", "-pk")
        page = Paginator(imports, 20).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, imports=page.object_list, columns=COLUMNS)
        context.setdefault("form", PurchaseImportForm())
        return context

    def post(self, request):
        form = PurchaseImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        batch = purchases_import_enqueue(
            upload=form.cleaned_data["file"], actor=request.user, storage=default_storage
        )
        return redirect("purchase_import_detail", pk=batch.pk)


class PurchaseImportDetailView(RoleRequiredMixin, TemplateView):
    """One purchases import: its progress while the worker runs, then its counts and each
    rejected row."""

    allowed_roles = VENDOR_ROLES
    template_name = "funds/purchase_import_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#progress"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = get_object_or_404(
            PurchaseImport.objects.select_related("created_by"), pk=self.kwargs["pk"]
        )
        page = Paginator(batch.rejections.all(), 100).get_page(self.request.GET.get("page"))
        running = batch.status in (PurchaseImport.Status.PENDING, PurchaseImport.Status.RUNNING)
        context.update(
            batch=batch,
            running=running,
            rejections=page.object_list,
            page_obj=page,
            percent=min(100, int(batch.processed_rows * 100 / batch.total_rows))
            if batch.total_rows
            else (0 if running else 100),
        )
        return context
