from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partners.models import Territory, Tier

from .resource_models import Resource

FILE_HELP = _("PDF, PNG, JPEG, CSV or text file, up to 10 MB; or a link instead.")


class ResourceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Resource.Category.choices],
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("All languages")), ("any", _("Every language")), *settings.LANGUAGES],
    )

    def filters(self) -> dict:
        """The filters of a valid form; an invalid value filters nothing."""
        data = self.cleaned_data if self.is_valid() else {}
        language = data.get("language") or None
        return {
            "search": data.get("q", ""),
            "category": data.get("category", ""),
            "language": "" if language == "any" else language,
        }


class _VersionFields(forms.Form):
    file = forms.FileField(label=_("File"), required=False, help_text=FILE_HELP)
    link = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    notes = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("link")):
            raise forms.ValidationError(_("Upload a file or give a link, not both."))
        return data


class ResourceVersionForm(_VersionFields):
    pass


class ResourceForm(_VersionFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    local_title = forms.CharField(label=_("Title in Chinese"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    local_description = forms.CharField(
        label=_("Description in Chinese"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(label=_("Category"), choices=Resource.Category.choices)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Every language")), *settings.LANGUAGES],
    )
    tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers"),
        queryset=Tier.objects.all(),
        required=False,
        help_text=_("None chosen: every tier."),
    )
    territories = forms.ModelMultipleChoiceField(
        label=_("Territories"),
        queryset=Territory.objects.all(),
        required=False,
        help_text=_("None chosen: every territory. A country covers its subdivisions."),
    )
    for_admin = forms.BooleanField(label=_("For partner admins"), required=False, initial=True)
    for_finance = forms.BooleanField(label=_("For partner finance"), required=False, initial=True)
    for_sales = forms.BooleanField(label=_("For partner sales"), required=False, initial=True)

    field_order = [
        "title",
        "local_title",
        "description",
        "local_description",
        "category",
        "language",
        "tiers",
        "territories",
        "for_admin",
        "for_finance",
        "for_sales",
        "file",
        "link",
        "notes",
    ]
