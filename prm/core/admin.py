from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .history import HISTORY_TABLES
from .models import Event, RowChange


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


class RowChangeTableFilter(admin.SimpleListFilter):
    """The tables under history, grouped as terms, prices, plans, statements and cases."""

    title = _("table")
    parameter_name = "table"

    def lookups(self, request, model_admin):
        return [
            (table, f"{group} · {table}")
            for group, names in HISTORY_TABLES.items()
            for table in names
        ]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(table=value) if value else queryset


@admin.register(RowChange)
class RowChangeAdmin(admin.ModelAdmin):
    """Every recorded change of terms, prices, plans, statements and cases, read only. Filter by
    table, and search `=<id>` for one row's history."""

    list_display = ["changed_at", "table", "row_id", "op", "actor", "changed"]
    list_filter = [RowChangeTableFilter, "op"]
    search_fields = ["=row_id"]
    list_select_related = ["actor"]
    date_hierarchy = "changed_at"
    fields = ["changed_at", "table", "row_id", "op", "actor", "txid", "changes", "before", "after"]
    readonly_fields = fields

    @admin.display(description=_("columns changed"))
    def changed(self, obj: RowChange) -> str:
        return ", ".join(obj.changed_columns()) if obj.op == RowChange.Op.UPDATE else ""

    @admin.display(description=_("changes"))
    def changes(self, obj: RowChange):
        before, after = obj.before or {}, obj.after or {}
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((c, before.get(c, ""), after.get(c, "")) for c in obj.changed_columns()),
        )
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("column"),
            _("before"),
            _("after"),
            rows,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
