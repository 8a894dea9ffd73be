from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.forms import SalesImportForm

from .models import FundRequest


class DateInput(forms.DateInput):
    input_type = "date"


class FundRequestForm(forms.Form):
    budget = forms.ModelChoiceField(label=_("Fund"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Kind of activity"), choices=FundRequest.Kind.choices)
    description = forms.CharField(
        label=_("Activity"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start = forms.DateField(label=_("Activity start"), widget=DateInput)
    end = forms.DateField(label=_("Activity end"), widget=DateInput)
    planned_cost = forms.DecimalField(
        label=_("Planned cost"), max_digits=14, decimal_places=2, min_value=0
    )
    amount = forms.DecimalField(
        label=_("Amount requested"), max_digits=14, decimal_places=2, min_value=0
    )

    def __init__(self, *args, budgets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget"].queryset = budgets
        self.fields["budget"].label_from_instance = lambda b: (
            f"{b.fund.code} · {b.fund.name} ({b.currency}, {b.fund.share}%)"
        )
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class RequestDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    amount = forms.DecimalField(
        label=_("Amount approved"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("return", _("Return"))]
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ClaimForm(forms.Form):
    actual_cost = forms.DecimalField(
        label=_("Actual cost"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
    )
    files = MultipleFileField(
        label=_("Proof of performance"),
        required=False,
        help_text=_("PDF, PNG, JPEG, CSV or text files, up to 10 MB each."),
    )


class PurchaseImportForm(SalesImportForm):
    """A purchases CSV: the size and type checks of the sales upload."""

    file = forms.FileField(
        label=_("Purchases CSV"), help_text=_("UTF-8, with a header row; at most 50 MB.")
    )
