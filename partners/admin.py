from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Membership, Partner, Segment, Territory, Tier
from .services import membership_create, partner_assign_account_manager, partner_create


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name", "rank", "default_discount"]
    ordering = ["rank"]
    search_fields = ["code", "name", "local_name"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name"]
    search_fields = ["code", "name", "local_name"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name"]
    search_fields = ["code", "name", "local_name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active"]


@admin.register(Partner)
class PartnerAdmin(GuardedModelAdmin):
    list_display = ["code", "name", "local_name", "tier", "status", "account_manager", "currency"]
    list_filter = ["status", "tier", "country", "currency"]
    search_fields = ["code", "name", "local_name", "legal_name"]
    list_select_related = ["tier", "account_manager"]
    autocomplete_fields = ["account_manager", "territories", "segments"]
    inlines = [MembershipInline]
    # Status moves go through the portal's transition service so they are recorded with a reason.
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("status")
        return fields

    def save_model(self, request, obj, form, change):
        if not change:
            manager = obj.account_manager
            created = partner_create(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                local_name=obj.local_name,
                legal_name=obj.legal_name,
                country=obj.country,
                currency=obj.currency,
                tier=obj.tier,
                status=obj.status,
                account_manager=manager,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        manager_changed = "account_manager" in form.changed_data
        fields = [f for f in form.changed_data if f != "account_manager"]
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
        if manager_changed:
            partner_assign_account_manager(
                partner=obj, manager=obj.account_manager, actor=request.user
            )

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        for membership in instances:
            if membership.pk is None:
                membership_create(
                    partner=form.instance,
                    user=membership.user,
                    role=membership.role,
                    actor=request.user,
                )
            else:
                membership.save()
        for membership in formset.deleted_objects:
            membership.delete()
        return None


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "role", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "partner__code", "partner__name"]
    list_select_related = ["user", "partner"]
    autocomplete_fields = ["user", "partner"]
