"""The announcement form. It validates input and names the field at fault; the services apply the
rules (who may be addressed, which categories need acknowledgement)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapMixin
from .models import Announcement, Partner, Territory, Tier
from .permissions import managed_partners

CATEGORY_FILTER_CHOICES = [("", _("All categories")), *Announcement.Category.choices]


class AnnouncementForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    local_title = forms.CharField(label=_("Title in Chinese"), max_length=200, required=False)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    local_body = forms.CharField(
        label=_("Text in Chinese"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Readers who use the portal in Chinese see this version when it is given."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=Announcement.Category.choices)
    audience = forms.ChoiceField(
        label=_("Audience"), choices=Announcement.Audience.choices, initial="all"
    )
    tiers = forms.ModelMultipleChoiceField(
        label=_("Tiers"),
        queryset=Tier.objects.order_by("rank", "code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("When the audience is partners in some tiers."),
    )
    territories = forms.ModelMultipleChoiceField(
        label=_("Territories"),
        queryset=Territory.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_(
            "When the audience is partners in some territories. A country covers its subdivisions."
        ),
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partners"),
        queryset=Partner.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("When the audience is named partners."),
    )
    requires_acknowledgement = forms.BooleanField(
        label=_("Partners must acknowledge it"),
        required=False,
        help_text=_("Price changes and policies always require acknowledgement."),
    )
    acknowledge_by = forms.DateField(
        label=_("Acknowledge by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        partners = Partner.objects.filter(
            status__in=[Partner.Status.ACTIVE, Partner.Status.ONBOARDING]
        ).order_by("code")
        if user is not None and not user.is_vendor_admin:
            partners = managed_partners(user, partners)
            self.fields["audience"].help_text = _(
                "You reach the partners assigned to you: any other audience is narrowed to them."
            )
        self.fields["partners"].queryset = partners

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if audience == Announcement.Audience.TIERS and not data.get("tiers"):
            self.add_error("tiers", _("Choose at least one tier."))
        if audience == Announcement.Audience.TERRITORIES and not data.get("territories"):
            self.add_error("territories", _("Choose at least one territory."))
        if audience == Announcement.Audience.PARTNERS and not data.get("partners"):
            self.add_error("partners", _("Choose at least one partner."))
        category = data.get("category")
        needs_ack = data.get("requires_acknowledgement") or (
            category in Announcement.ACKNOWLEDGED_CATEGORIES
        )
        if data.get("acknowledge_by") and not needs_ack:
            self.add_error(
                "acknowledge_by",
                _("Set an acknowledge-by date only when the announcement needs acknowledgement."),
            )
        return data

    @classmethod
    def initial_from(cls, announcement: Announcement) -> dict:
        return {
            "title": announcement.title,
            "local_title": announcement.local_title,
            "body": announcement.body,
            "local_body": announcement.local_body,
            "category": announcement.category,
            "audience": announcement.audience,
            "tiers": list(announcement.tiers.all()),
            "territories": list(announcement.territories.all()),
            "partners": list(announcement.partners.all()),
            "requires_acknowledgement": announcement.requires_acknowledgement,
            "acknowledge_by": announcement.acknowledge_by,
        }
