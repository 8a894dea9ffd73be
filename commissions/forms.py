from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import periods

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class SalesImportForm(forms.Form):
    file = forms.FileField(
        label=_("Sales CSV"), help_text=_("UTF-8, with a header row; at most 50 MB.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."))
        name = upload.name.lower()
        if not name.endswith(".csv"):
            raise ValidationError(_("Upload a .csv file."))
        head = upload.read(2048)
        upload.seek(0)
        if b"\x00" in head:
            raise ValidationError(_("This is not a text file."))
        return upload


class RecomputeForm(forms.Form):
    period = forms.CharField(
        label=_("Month"), max_length=7, widget=forms.TextInput(attrs={"placeholder": "YYYY-MM"})
    )
    partner = forms.CharField(label=_("Partner code"), max_length=32, required=False)

    def clean_period(self):
        value = self.cleaned_data["period"].strip()
        try:
            periods.month(value)
        except ValueError as exc:
            raise ValidationError(_("Give the month as YYYY-MM.")) from exc
        return value
