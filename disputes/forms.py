from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case
from .selectors import case_owner_choices
from .services import TRANSITIONS


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
    to = forms.TypedChoiceField(
        label=_("Visible to"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args, vendor: bool = False, case: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not vendor:
            del self.fields["internal"]
        if vendor and case is not None and case.other_partner_id is not None:
            # Between two partners the vendor may write to one party only: the other never sees
            # it, as neither sees the other's own messages.
            self.fields["to"].choices = [
                ("", _("Both partners")),
                *(
                    (p.pk, _("Only %(partner)s") % {"partner": p.display_name})
                    for p in (case.partner, case.other_partner)
                ),
            ]
        else:
            del self.fields["to"]


REASON_VENDOR_ONLY = "vendor"
REASON_EVERYONE = "all"


class CaseStatusForm(forms.Form):
    """The statuses the case may move to from where it is (resolving has its own form), and who
    reads the reason: between two partners it stays with vendor staff unless the vendor shows it
    to both or to one party, as with messages."""

    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)
    reason_to = forms.ChoiceField(label=_("Reason visible to"), required=False)

    def __init__(self, *args, current: str, case: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[current]
        self.fields["status"].choices = [
            (status, label) for status, label in Case.Status.choices if status in allowed
        ]
        self.case = case
        if case is not None and case.other_partner_id is not None:
            self.fields["reason_to"].choices = [
                (REASON_VENDOR_ONLY, _("Vendor staff only")),
                (REASON_EVERYONE, _("Both partners")),
                *(
                    (str(p.pk), _("Only %(partner)s") % {"partner": p.display_name})
                    for p in (case.partner, case.other_partner)
                ),
            ]
            self.fields["reason_to"].initial = REASON_VENDOR_ONLY
        else:
            self.fields["reason_to"].choices = [
                (REASON_EVERYONE, _("The partner and vendor staff")),
                (REASON_VENDOR_ONLY, _("Vendor staff only")),
            ]
            self.fields["reason_to"].initial = REASON_EVERYONE

    def reason_audience(self) -> dict:
        """The `reason_internal` and `reason_party` arguments of case_status_change."""
        chosen = self.cleaned_data.get("reason_to") or self.fields["reason_to"].initial
        if chosen == REASON_VENDOR_ONLY:
            return {"reason_internal": True, "reason_party": None}
        if chosen == REASON_EVERYONE or self.case is None:
            return {"reason_internal": False, "reason_party": None}
        party = next(p for p in (self.case.partner, self.case.other_partner) if str(p.pk) == chosen)
        return {"reason_internal": False, "reason_party": party}

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["status"].choices)


class CaseResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    adjustment_amount = forms.DecimalField(
        label=_("Adjustment on the next statement"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("Positive credits the partner, negative debits."),
    )

    def __init__(self, *args, adjustable: bool = True, two_parties: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if two_parties:
            self.fields["resolution"].help_text = _(
                "Both partners read the outcome: name neither to the other unless the parties "
                "are disclosed."
            )
        if not adjustable:
            # Only a payout case without an adjustment yet creates one.
            del self.fields["adjustment_amount"]


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


class CaseReassignForm(forms.Form):
    """Hand the case to a vendor admin or channel manager who can see its partner."""

    owner = forms.ModelChoiceField(label=_("New owner"), queryset=None)
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the case history for vendor staff."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = case_owner_choices(case=case).exclude(pk=case.owner_id)
        self.fields["owner"].empty_label = _("Choose…")
