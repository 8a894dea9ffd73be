from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Delivery


class PreferencesForm(forms.Form):
    """One choice per category: in the portal only, by email, or in the daily digest."""

    def __init__(self, *args, initial_choices: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Category.choices:
            self.fields[value] = forms.ChoiceField(
                label=label,
                choices=Delivery.choices,
                initial=initial_choices.get(value),
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose how %(category)s reach you.") % {"category": label}
                },
            )
