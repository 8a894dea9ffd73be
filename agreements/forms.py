import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Segment, Territory

from .models import Agreement, AgreementVersion, ProductLine
from .services.agreements import Terms


class TermsForm(forms.Form):
    """The terms of a version, as vendor admins propose them."""

    effective_date = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    territories = forms.ModelMultipleChoiceField(
        label=_("Territories"),
        queryset=Territory.objects.all(),
        required=False,
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    product_lines = forms.ModelMultipleChoiceField(
        label=_("Product lines"),
        queryset=ProductLine.objects.all(),
        required=False,
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    segments = forms.ModelMultipleChoiceField(
        label=_("Customer segments"),
        queryset=Segment.objects.all(),
        required=False,
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    exclusive = forms.BooleanField(label=_("Exclusive"), required=False)
    commission_plan = forms.CharField(label=_("Commission plan"), max_length=32, required=False)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=365, initial=30
    )
    payment_terms = forms.CharField(
        label=_("Payment terms"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    price_notice_days = forms.IntegerField(
        label=_("Price-change notice (days)"), min_value=0, max_value=365, initial=30
    )
    price_protection_days = forms.IntegerField(
        label=_("Price protection (days)"),
        min_value=0,
        max_value=365,
        initial=0,
        required=False,
    )
    termination_notice_days = forms.IntegerField(
        label=_("Termination notice (days)"), min_value=0, max_value=730, initial=90
    )
    termination_compensation = forms.CharField(
        label=_("Termination compensation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    review_cadence = forms.ChoiceField(
        label=_("Business review cadence"),
        choices=AgreementVersion.Cadence.choices,
        initial=AgreementVersion.Cadence.QUARTERLY,
    )
    change_summary = forms.CharField(
        label=_("What changed and why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown to the partner beside the difference."),
    )

    def clean_effective_date(self):
        value = self.cleaned_data["effective_date"]
        if value < timezone.localdate() - dt.timedelta(days=365 * 5):
            raise forms.ValidationError(_("The effective date is too far in the past."))
        return value

    def terms(self) -> Terms:
        data = self.cleaned_data
        return Terms(
            effective_date=data["effective_date"],
            territories=[t.code for t in data["territories"]],
            product_lines=[line.code for line in data["product_lines"]],
            segments=[s.code for s in data["segments"]],
            exclusive=data["exclusive"],
            commission_plan=data["commission_plan"],
            payment_terms_days=data["payment_terms_days"],
            payment_terms=data["payment_terms"],
            price_notice_days=data["price_notice_days"],
            price_protection_days=data.get("price_protection_days") or 0,
            termination_notice_days=data["termination_notice_days"],
            termination_compensation=data["termination_compensation"],
            review_cadence=data["review_cadence"],
        )

    @classmethod
    def initial_from(cls, version: AgreementVersion | None) -> dict:
        if version is None:
            return {"effective_date": timezone.localdate()}
        terms = dict(version.terms)
        terms["effective_date"] = max(timezone.localdate(), version.effective_date)
        return terms


class ProposeTermsForm(TermsForm):
    """New terms for an existing agreement; `based_on` is the latest version number when the
    form was opened, so that a second editor cannot silently replace the first one's terms."""

    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AgreementCreateForm(TermsForm):
    field_order = ["partner", "number", "type", "start", "end", "auto_renew"]

    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=Partner.objects.none(), to_field_name="code"
    )
    number = forms.CharField(label=_("Agreement number"), max_length=32)
    type = forms.ChoiceField(label=_("Type"), choices=Agreement.Type.choices)
    start = forms.DateField(
        label=_("Start"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("End"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    auto_renew = forms.BooleanField(label=_("Renews automatically"), required=False)

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is not None:
            self.fields["partner"].queryset = partners

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if Agreement.objects.filter(number=number).exists():
            raise forms.ValidationError(_("An agreement with this number already exists."))
        return number

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


class TerminationForm(forms.Form):
    requested = forms.DateField(
        label=_("Requested end date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_(
            "The agreement ends on this date or at the end of the notice period, "
            "whichever is later."
        ),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
