from django import forms
from django.contrib import admin

from .health import PARTS
from .models import CommitmentMiss, HealthSnapshot, HealthWeight, Obligations


class HealthWeightForm(forms.ModelForm):
    part = forms.ChoiceField(choices=())

    class Meta:
        model = HealthWeight
        fields = ["part", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [(key, part.label) for key, part in PARTS.items()]


@admin.register(HealthWeight)
class HealthWeightAdmin(admin.ModelAdmin):
    """Vendor admins weigh the parts of relationship health; a part without a row weighs its
    default."""

    form = HealthWeightForm
    list_display = ["part", "weight", "updated_at"]


@admin.register(Obligations)
class ObligationsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "payout_days",
        "mdf_decision_days",
        "price_protection_decision_days",
    ]
    raw_id_fields = ["agreement_version"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CommitmentMiss)
class CommitmentMissAdmin(ReadOnlyAdmin):
    list_display = ["partner", "kind", "label", "due", "done", "found_at"]
    list_filter = ["kind"]


@admin.register(HealthSnapshot)
class HealthSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["partner", "quarter", "score", "taken_at"]
    list_filter = ["quarter"]
