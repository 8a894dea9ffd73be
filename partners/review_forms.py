"""Forms of the business review pages. They check the input; the services apply the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapMixin
from .models import BusinessReview, Partner
from .selectors.reviews import action_item_owner_choices
from .services.reviews import DURATION_RANGE

REVIEW_STATUS_CHOICES = [
    ("scheduled", _("Upcoming and overdue")),
    ("overdue", _("Overdue only")),
    ("held", _("Held")),
    ("cancelled", _("Cancelled")),
    ("all", _("All")),
]


class ReviewRescheduleForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Start time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=DURATION_RANGE[0], max_value=DURATION_RANGE[1]
    )
    location = forms.CharField(
        label=_("Place or meeting link"), max_length=255, required=False, strip=True
    )

    @classmethod
    def for_review(cls, review: BusinessReview, **kwargs) -> ReviewRescheduleForm:
        local = timezone.localtime(review.scheduled_at)
        return cls(
            initial={
                "date": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "duration_minutes": review.duration_minutes,
                "location": review.location,
            },
            **kwargs,
        )

    def scheduled_at(self) -> dt.datetime:
        data = self.cleaned_data
        return timezone.make_aware(dt.datetime.combine(data["date"], data["time"]))


class ReviewCancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewNotesForm(BootstrapMixin, forms.Form):
    notes = forms.CharField(
        label=_("Shared notes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Both sides can read these notes; every edit is kept in the history."),
    )


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        side = _("Vendor") if obj.is_vendor_staff else _("Partner")
        return f"{obj.get_full_name()} ({side})"


class ActionItemForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Action"), max_length=255)
    owner = OwnerChoiceField(
        label=_("Owner"),
        queryset=None,
        error_messages={
            "invalid_choice": _("Choose vendor staff or an active user of this partner.")
        },
    )
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = action_item_owner_choices(partner=partner)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due_on
