from django.contrib import admin

from .models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """The audit trail is read-only: nobody edits history."""

    list_display = ["created_at", "verb", "actor", "partner", "target_type", "target_id"]
    list_filter = ["verb", "target_type"]
    search_fields = ["verb", "target_id", "actor__email", "partner__code"]
    list_select_related = ["actor", "partner", "target_type"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
