from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case


class CaseOpenForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Case.Kind.choices)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    incident = forms.ChoiceField(
        label=_("Compliance incident"),
        choices=[("", "—"), *Case.Incident.choices],
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=[("", "—"), *Case.Severity.choices], required=False
    )
    evidence = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    penalty = forms.DecimalField(
        label=_("Penalty (partner's currency)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )

    def __init__(self, *args, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if partners is None:
            for name in ("partner", "incident", "severity", "evidence", "penalty"):
                del self.fields[name]
            # Conflicts open themselves from imports; the vendor raises compliance cases.
            self.fields["kind"].choices = [
                c for c in Case.Kind.choices if c[0] not in ("channel_conflict", "compliance")
            ]
        else:
            self.fields["partner"].queryset = partners
            self.fields["partner"].required = True


class CaseMessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(
        label=_("Attachment"),
        required=False,
        help_text=_("PDF, PNG, JPEG, CSV or text, up to 10 MB."),
    )
    internal = forms.BooleanField(label=_("Internal note (vendor staff only)"), required=False)

    def __init__(self, *args, vendor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not vendor:
            del self.fields["internal"]


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (Case.Status.IN_PROGRESS, Case.Status.IN_PROGRESS.label),
            (Case.Status.WAITING_ON_PARTNER, Case.Status.WAITING_ON_PARTNER.label),
            (Case.Status.CLOSED, Case.Status.CLOSED.label),
        ],
    )
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)


class CaseResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    adjustment_amount = forms.DecimalField(
        label=_("Adjustment on the next statement"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("Payout cases only. Positive credits the partner, negative debits."),
    )


class CaseRateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(i, str(i)) for i in range(5, 0, -1)]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CaseMediationReferForm(forms.Form):
    mediator = forms.CharField(label=_("Mediator"), max_length=200)
    started_on = forms.DateField(
        label=_("Mediation starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class CaseMediationConcludeForm(forms.Form):
    outcome = forms.CharField(
        label=_("Mediation outcome"), widget=forms.Textarea(attrs={"rows": 3})
    )
    ended_on = forms.DateField(
        label=_("Mediation ended on"), widget=forms.DateInput(attrs={"type": "date"})
    )
