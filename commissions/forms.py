from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from prm.core.money import CURRENCY_CHOICES

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
        head = upload.read(8)
        upload.seek(0)
        # A workbook saved with a .csv name; any other bytes are checked row by row on import, so
        # a NUL byte or a stray encoding costs its own row, not the file.
        if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise ValidationError(
                _("This is a spreadsheet workbook, not a CSV file: save it as CSV UTF-8.")
            )
        return upload


class PaymentsImportForm(SalesImportForm):
    file = forms.FileField(
        label=_("Payments CSV"), help_text=_("UTF-8, with a header row; at most 50 MB.")
    )


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


class BankDetailsForm(forms.Form):
    bank_name = forms.CharField(label=_("Bank name"), max_length=200)
    account_holder = forms.CharField(label=_("Account holder"), max_length=200)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=34,
        help_text=_("Pages and emails show only its last four characters."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    branch_code = forms.CharField(label=_("SWIFT or branch code"), max_length=34)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
