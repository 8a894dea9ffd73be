from django.contrib import admin

from .models import Case, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Vendor admins set the deadlines per priority here; new cases use them."""

    list_display = ["priority", "first_response_hours", "resolution_hours"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change through the portal's services so their history is kept."""

    list_display = ["__str__", "kind", "status", "priority", "partner", "owner", "created_at"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["subject", "partner__code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
