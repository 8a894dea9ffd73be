from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import (
    ActionItem,
    Announcement,
    AnnouncementRecipient,
    Award,
    BusinessReview,
    DealRegistration,
    Invitation,
    Membership,
    Milestone,
    Partner,
    PartnerAward,
    RiskAssessment,
    Segment,
    Target,
    TargetProposal,
    Territory,
    Tier,
)
from .services import (
    membership_create,
    partner_assign_account_manager,
    partner_award_grant,
    partner_award_revoke,
    partner_create,
)


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
    # Status moves and risk assessments go through the portal's services so they are recorded
    # with a reason (and the assessment history kept).
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["status", "credit_limit", "overdue_receivables", "risk_rating"]
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
                tax_id=obj.tax_id,
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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the portal's services; the admin shows them for support, never edits."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "partner", "role", "status", "expires_at", "invited_by"]
    list_filter = ["status", "role"]
    search_fields = ["email", "partner__code"]
    list_select_related = ["partner", "invited_by"]
    exclude = ["key_hash"]


@admin.register(DealRegistration)
class DealRegistrationAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "partner",
        "customer_name",
        "territory",
        "estimated_value",
        "currency",
        "status",
        "has_conflict",
        "protected_until",
    ]
    list_filter = ["status", "has_conflict", "territory"]
    search_fields = ["customer_name", "customer_tax_id", "customer_domain", "partner__code"]
    list_select_related = ["partner", "territory"]


class TargetProposalInline(admin.TabularInline):
    model = TargetProposal
    extra = 0
    can_delete = False
    fields = ["side", "amount", "status", "proposed_by", "created_at", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["partner", "period", "status", "amount", "currency", "agreed_at"]
    list_filter = ["status", "period"]
    search_fields = ["partner__code"]
    list_select_related = ["partner"]
    inlines = [TargetProposalInline]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = [
        "partner",
        "risk_rating",
        "credit_limit",
        "overdue_receivables",
        "assessed_by",
        "created_at",
    ]
    list_filter = ["risk_rating"]
    search_fields = ["partner__code"]
    list_select_related = ["partner", "assessed_by"]


@admin.register(Award)
class AwardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "local_name"]


@admin.register(PartnerAward)
class PartnerAwardAdmin(admin.ModelAdmin):
    """Awards are given and withdrawn through the recognition services (each leaves an event)."""

    list_display = ["award", "partner", "awarded_on", "awarded_by"]
    list_filter = ["award"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["award", "partner", "awarded_by"]
    autocomplete_fields = ["partner"]
    fields = ["partner", "award", "awarded_on", "citation"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        grant = partner_award_grant(
            partner=obj.partner,
            award=obj.award,
            awarded_on=obj.awarded_on,
            citation=obj.citation,
            actor=request.user,
        )
        obj.pk = grant.pk
        obj._state.adding = False

    def delete_model(self, request, obj):
        partner_award_revoke(grant=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("partner", "award"):
            partner_award_revoke(grant=grant, actor=request.user)


class AnnouncementRecipientInline(admin.TabularInline):
    model = AnnouncementRecipient
    extra = 0
    can_delete = False
    fields = ["partner", "acknowledged_at", "acknowledged_by", "reminded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Announcement)
class AnnouncementAdmin(ReadOnlyAdmin):
    """Announcements are written, published and acknowledged in the portal (each step records
    its event); the admin shows them and their recipients for support."""

    list_display = ["title", "category", "audience", "author", "published_at", "acknowledge_by"]
    list_filter = ["category", "audience", "requires_acknowledgement"]
    search_fields = ["title", "local_title"]
    list_select_related = ["author"]
    inlines = [AnnouncementRecipientInline]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["partner", "kind", "key", "achieved_on", "created_at"]
    list_filter = ["kind"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    can_delete = False
    fields = ["title", "side", "owner", "due_on", "done_at", "done_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BusinessReview)
class BusinessReviewAdmin(ReadOnlyAdmin):
    """Reviews are scheduled, moved, cancelled and held through the review services (each sends
    the calendar update and leaves an event); the admin shows them for support."""

    list_display = ["partner", "scheduled_at", "status", "cadence", "organiser", "sequence"]
    list_filter = ["status", "cadence"]
    search_fields = ["partner__code", "partner__name"]
    list_select_related = ["partner", "organiser"]
    date_hierarchy = "scheduled_at"
    inlines = [ActionItemInline]
