import datetime as dt

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from prm.core.errors import DomainError

from . import periods
from .models import (
    Adjustment,
    CommissionPlan,
    ExchangeRate,
    ImportBatch,
    PlanVersion,
    RecomputeRequest,
    Rule,
    Sale,
    Statement,
    StatementLine,
)
from .services.rates import exchange_rate_save, exchange_rates_delete
from .services.recompute import recompute_request_create
from .services.statements import adjustment_create


class PlanVersionInline(admin.TabularInline):
    model = PlanVersion
    fields = [
        "effective_from",
        "settlement",
        "clawback_days",
        "cap",
        "accelerator_threshold",
        "accelerator_multiplier",
        "carry_forward",
        "accrual",
    ]
    extra = 0
    show_change_link = True


@admin.register(CommissionPlan)
class CommissionPlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [PlanVersionInline]


class RuleInline(admin.TabularInline):
    model = Rule
    fields = ["priority", "kind", "product", "line", "rate", "amount", "brackets"]
    autocomplete_fields = ["product"]
    extra = 0


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    """A saved plan version asks for a recompute of the draft periods it governs."""

    list_display = [
        "plan",
        "effective_from",
        "settlement",
        "clawback_days",
        "cap",
        "carry_forward",
        "accrual",
    ]
    list_filter = ["plan", "settlement", "carry_forward", "accrual"]
    inlines = [RuleInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        version = form.instance
        first = max(
            version.effective_from,
            timezone.localdate().replace(day=1) - dt.timedelta(days=366),
        )
        with transaction.atomic():
            for label in _draft_months_since(first):
                recompute_request_create(period=label, reason="plan changed")


def _draft_months_since(first) -> list[str]:
    ends = Statement.objects.filter(
        status=Statement.Status.DRAFT, period_end__gte=first
    ).values_list("period_end", flat=True)
    months = {periods.month_of(end) for end in ends}
    months.add(periods.month_of(timezone.localdate()))
    return sorted(months)


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fk_name = "statement"
    fields = ["position", "kind", "description", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """Statements are computed, approved and paid in the portal; here they are read only."""

    list_display = [
        "partner",
        "period",
        "status",
        "total",
        "carried_forward",
        "currency",
        "computed_at",
    ]
    list_filter = ["status", "period"]
    search_fields = ["partner__code"]
    list_select_related = ["partner"]
    inlines = [StatementLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    list_display = ["partner", "amount", "currency", "reason", "statement", "created_at"]
    list_select_related = ["partner", "statement"]
    autocomplete_fields = ["partner"]
    fields = ["partner", "amount", "reason", "corrects", "source_label", "source_url"]
    readonly_fields = []

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        try:
            created = adjustment_create(
                partner=obj.partner,
                amount=obj.amount,
                reason=obj.reason,
                actor=request.user,
                corrects=obj.corrects,
                source_label=obj.source_label,
                source_url=obj.source_url,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = created.pk


@admin.register(Sale)
class SaleAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "partner",
        "product",
        "invoice_date",
        "kind",
        "quantity",
        "net_amount",
        "currency",
        "original_amount",
        "original_currency",
        "exchange_rate",
        "rate_date",
    ]
    list_filter = ["kind"]
    search_fields = ["external_id", "partner__code", "customer_name"]
    list_select_related = ["partner", "product"]
    date_hierarchy = "invoice_date"
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Rates with their history; saving goes through the service that records the change."""

    list_display = ["from_currency", "to_currency", "date", "rate", "updated_at"]
    list_filter = ["from_currency", "to_currency"]
    date_hierarchy = "date"
    fields = ["from_currency", "to_currency", "date", "rate"]

    def get_readonly_fields(self, request, obj=None):
        # A rate is corrected in place; its pair and day are what identify it.
        return ["from_currency", "to_currency", "date"] if obj is not None else []

    def delete_model(self, request, obj):
        exchange_rates_delete(rate_ids=[obj.pk], actor=request.user)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action: one event per rate, as for a single delete.
        exchange_rates_delete(
            rate_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )

    def save_model(self, request, obj, form, change):
        saved, _ = exchange_rate_save(
            from_currency=obj.from_currency,
            to_currency=obj.to_currency,
            date=obj.date,
            rate=obj.rate,
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = [
        "filename",
        "status",
        "created_count",
        "duplicate_count",
        "rejected_count",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(admin.ModelAdmin):
    list_display = ["period", "partner", "reason", "status", "created_at", "finished_at"]
    list_filter = ["status"]

    def has_add_permission(self, request) -> bool:
        return False
