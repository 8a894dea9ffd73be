from django.contrib import admin
from django.db import router, transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from agreements.admin import PriceListAdmin, PriceOverrideAdmin, TierLineDiscountAdmin
from agreements.models import PriceList, PriceOverride, TierLineDiscount
from partners.admin import PartnerAdmin, TierAdmin
from partners.models import Partner, Tier

from .models import (
    Fund,
    FundBudget,
    FundClaim,
    FundClaimFile,
    FundRequest,
    PurchaseInvoiceLine,
)
from .protection import impact_collect, impacts_by_partner
from .services import fund_budgets_sync


class FundBudgetInline(admin.TabularInline):
    model = FundBudget
    fields = ["partner", "amount", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "partner", "tier", "amount", "start", "end", "share"]
    list_filter = ["tier"]
    search_fields = ["code", "name", "partner__code"]
    autocomplete_fields = ["partner"]
    inlines = [FundBudgetInline]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        # Each partner the fund names holds its own budget of the fund's amount.
        fund_budgets_sync(obj)


class FundClaimFileInline(admin.TabularInline):
    model = FundClaimFile
    fields = ["name", "size"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(FundRequest)
class FundRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "budget", "kind", "amount", "approved_amount", "status", "deadline"]
    list_filter = ["status", "kind"]
    search_fields = ["budget__partner__code", "budget__fund__code", "description"]
    readonly_fields = [f.name for f in FundRequest._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(FundClaim)
class FundClaimAdmin(admin.ModelAdmin):
    list_display = ["__str__", "actual_cost", "reimbursement", "status", "decided_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in FundClaim._meta.fields]
    inlines = [FundClaimFileInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PurchaseInvoiceLine)
class PurchaseInvoiceLineAdmin(admin.ModelAdmin):
    """Purchase lines as imported, read only: a line in another currency shows what its invoice
    said and the rate it was converted at."""

    list_display = [
        "__str__",
        "partner",
        "product",
        "invoice_date",
        "quantity",
        "unit_net_price",
        "currency",
        "original_unit_net_price",
        "original_currency",
        "exchange_rate",
        "rate_date",
    ]
    list_filter = [("partner", admin.RelatedOnlyFieldListFilter), "currency", "original_currency"]
    search_fields = ["invoice_number", "partner__code", "product__sku"]
    list_select_related = ["partner", "product"]
    date_hierarchy = "invoice_date"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Claims credit purchase lines at the price they were paid; none is removed here.
        return False


# Price changes in Django admin: before a change that opens price-protection claims is saved, the
# vendor admin sees which partners and products it affects and the most it may cost, and confirms.
# The admins of the price models belong to lower apps; they are registered again here with the
# confirmation step (this app is the one that knows about price protection).

CONFIRMED = "_protection_confirmed"


class _ConfirmationNeededError(Exception):
    def __init__(self, lines: list) -> None:
        super().__init__("price change awaiting confirmation")
        self.lines = lines


class ProtectionPreviewMixin:
    """Saving the change form runs the save in a transaction that is rolled back, collecting the
    price cuts the save makes (and opening no claim). Without cuts (or without a valid form) the
    save stands as usual; with cuts, nothing is written and a confirmation page lists the impact
    per partner and product, with "confirm" (the same form posted again, now saved) and "back"."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        view = super().changeform_view
        return self._protection_preview(request, view, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        # Removing an override or a tier's line discount may lower net prices too.
        return self._protection_preview(request, super().delete_view, object_id, extra_context)

    def _protection_preview(self, request, view, *args):
        if request.method != "POST" or CONFIRMED in request.POST:
            return view(request, *args)
        request._protection_preview = True
        try:
            with (
                transaction.atomic(using=router.db_for_write(self.model)),
                impact_collect(dry=True) as collector,
            ):
                response = view(request, *args)
                if collector.cuts:
                    raise _ConfirmationNeededError(collector.impacts())
        except _ConfirmationNeededError as pending:
            return self._protection_confirmation(request, pending.lines)
        finally:
            request._protection_preview = False
        # No claim: the save stands, and so do its messages.
        for args, kwargs in getattr(request, "_protection_held", []):
            super().message_user(request, *args, **kwargs)
        return response

    def message_user(self, request, *args, **kwargs):
        # During the trial save the success message waits: the save may yet be rolled back.
        if getattr(request, "_protection_preview", False):
            request._protection_held = [*getattr(request, "_protection_held", []), (args, kwargs)]
            return
        super().message_user(request, *args, **kwargs)

    def _protection_confirmation(self, request, lines):
        groups = impacts_by_partner(lines)
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken"
            for value in values
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirm the price change"),
            "opts": self.model._meta,
            "groups": groups,
            "claims": len(lines),
            "fields": fields,
            "confirm_name": CONFIRMED,
            "back_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/funds/protection_preview.html", context)


def _reregister(model, base):
    admin.site.unregister(model)
    protected = type(
        f"Protected{base.__name__}", (ProtectionPreviewMixin, base), {"__module__": __name__}
    )
    admin.site.register(model, protected)


_reregister(PriceList, PriceListAdmin)
_reregister(PriceOverride, PriceOverrideAdmin)
_reregister(TierLineDiscount, TierLineDiscountAdmin)
_reregister(Tier, TierAdmin)
_reregister(Partner, PartnerAdmin)
