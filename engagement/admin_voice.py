"""Django admin for the pulse questions and the board's categories (vendor admins edit them).
Answers and posts change only through the portal's services."""

from django.contrib import admin

from .models import BoardCategory, PulseQuestion


@admin.register(PulseQuestion)
class PulseQuestionAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "kind", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["kind", "is_active"]
    ordering = ["position", "id"]

    def get_readonly_fields(self, request, obj=None):
        # A question's kind is fixed once answered, so past answers keep their scale.
        if obj is not None and obj.answers.exists():
            return ["code", "kind"]
        return []

    def has_delete_permission(self, request, obj=None):
        # Answered questions are retired (not asked), never deleted.
        if obj is not None and obj.answers.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(BoardCategory)
class BoardCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name", "position"]
    list_editable = ["position"]
