from django.contrib import admin

from .models import Fund, FundBudget, FundClaim, FundClaimFile, FundRequest
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
