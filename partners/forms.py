"""Forms of the partner pages. They validate input; the services apply the business rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.core.money import CURRENCY_CHOICES

from .models import (
    DEFAULT_PROTECTION_DAYS,
    PERIOD_VALIDATOR,
    DealRegistration,
    Membership,
    Partner,
    RiskRating,
    Segment,
    Territory,
    Tier,
)
from .periods import current_period
from .selectors import NO_ATTAINMENT, PartnerFilters, product_line_queryset
from .selectors.directory import DIRECTORY_COLUMNS, directory_sorts


class BootstrapMixin:
    """Give every widget Bootstrap's class for its kind."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


ATTAINMENT_CHOICES = [
    ("", _("Any attainment")),
    ("below50", _("Below 50%")),
    ("50to100", _("50% to 100%")),
    ("100plus", _("at least 100%")),
    (NO_ATTAINMENT, _("No attainment yet")),
]


def _territory_choices(options) -> list[tuple[str, str]]:
    """Each country (which covers its subdivisions), followed by its subdivisions."""
    by_code = {territory.code: territory for territory in options.territories}
    countries = sorted({code[:2] for code in by_code})
    choices = []
    for country in countries:
        own = by_code.get(country)
        label = f"{country} · {own.display_name}" if own else country
        choices.append((country, label))
        choices += [
            (code, f"\u2003{code} · {territory.display_name}")
            for code, territory in sorted(by_code.items())
            if code.startswith(f"{country}-")
        ]
    return choices


class PartnerFilterForm(BootstrapMixin, forms.Form):
    """The directory's filters, from the query string; unknown values are ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    territory = forms.ChoiceField(label=_("Territory"), required=False)
    account_manager = forms.ChoiceField(label=_("Account manager"), required=False)
    risk = forms.ChoiceField(label=_("Risk rating"), required=False)
    attainment = forms.ChoiceField(label=_("Attainment"), required=False)
    flagged = forms.BooleanField(label=_("Flagged only"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, options, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["status"].choices = [("", _("Any status")), *Partner.Status.choices]
        self.fields["tier"].choices = [("", _("Any tier"))] + [
            (tier.code, tier.display_name) for tier in options.tiers
        ]
        self.fields["territory"].choices = [("", _("Any territory")), *_territory_choices(options)]
        self.fields["account_manager"].choices = [
            ("", _("Anyone")),
            ("none", _("Unassigned")),
        ] + [(str(user.pk), user.get_full_name()) for user in options.account_managers]
        self.fields["risk"].choices = [("", _("Any risk")), *RiskRating.choices]
        self.fields["attainment"].choices = ATTAINMENT_CHOICES
        for key, column in DIRECTORY_COLUMNS.items():
            self.fields[key] = forms.ChoiceField(
                label=column.label,
                required=False,
                choices=[("", _("Any")), *((v, b[0]) for v, b in column.bands.items())],
            )
            self.fields[key].widget.attrs["class"] = "form-select"

    @property
    def column_fields(self) -> list:
        """The filters of the columns other apps registered."""
        return [self[key] for key in DIRECTORY_COLUMNS]

    def filters(self) -> PartnerFilters:
        if not self.is_valid():
            # Keep the valid parts of a partly bad query string.
            data = {name: self.cleaned_data.get(name) for name in self.fields}
        else:
            data = self.cleaned_data
        sort = data.get("sort") or "code"
        if sort.removeprefix("-") not in directory_sorts():
            sort = "code"
        return PartnerFilters(
            search=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            tier=data.get("tier") or "",
            territory=data.get("territory") or "",
            account_manager=data.get("account_manager") or "",
            risk_rating=data.get("risk") or "",
            attainment=data.get("attainment") or "",
            flagged=bool(data.get("flagged")),
            sort=sort,
            bands=tuple((key, data.get(key) or "") for key in DIRECTORY_COLUMNS),
        )


class PartnerCreateForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        validators=[
            RegexValidator(
                r"^[A-Z0-9][A-Z0-9-]*$",
                _("Use capital letters, digits and hyphens, e.g. P-ACME."),
            )
        ],
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    local_name = forms.CharField(label=_("Name in Chinese"), max_length=200, required=False)
    legal_name = forms.CharField(label=_("Legal name"), max_length=255, required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=32, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        initial="TW",
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter country code."))],
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="TWD")
    tier = forms.ModelChoiceField(
        label=_("Tier"), queryset=Tier.objects.order_by("rank"), required=False
    )
    account_manager = forms.ModelChoiceField(
        label=_("Account manager"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    territories = forms.ModelMultipleChoiceField(
        label=_("Territories"),
        queryset=Territory.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    segments = forms.ModelMultipleChoiceField(
        label=_("Customer segments"),
        queryset=Segment.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, choose_manager: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_manager:
            self.fields["account_manager"].queryset = (
                get_user_model()
                .objects.filter(vendor_role__in=["admin", "channel_manager"], is_active=True)
                .order_by("full_name", "email")
            )
            self.fields["account_manager"].label_from_instance = lambda u: u.get_full_name()
        else:
            del self.fields["account_manager"]

    def clean_code(self):
        code = self.cleaned_data["code"]
        if Partner.objects.filter(code=code).exists():
            raise forms.ValidationError(_("A partner with this code already exists."))
        return code


class PartnerStatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Partner.Status.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["status"].choices = [("", _("Choose…"))] + [
                (value, label) for value, label in Partner.Status.choices if value in allowed
            ]


class RiskForm(BootstrapMixin, forms.Form):
    risk_rating = forms.ChoiceField(label=_("Risk rating"), choices=RiskRating.choices)
    credit_limit = forms.DecimalField(
        label=_("Credit limit"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    overdue_receivables = forms.DecimalField(
        label=_("Overdue receivables"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InvitationForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class MembershipRoleForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class DealForm(BootstrapMixin, forms.Form):
    customer_name = forms.CharField(
        label=_("Customer name"),
        max_length=200,
        help_text=_("The customer's registered name, in English or Chinese."),
    )
    customer_tax_id = forms.CharField(
        label=_("Customer tax id"),
        max_length=32,
        required=False,
        help_text=_("Tax id or web domain: give at least one."),
    )
    customer_domain = forms.CharField(
        label=_("Customer web domain"),
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "example.com"}),
    )
    territory = forms.ModelChoiceField(
        label=_("Territory"), queryset=Territory.objects.order_by("code"), to_field_name="code"
    )
    product_lines = forms.ModelMultipleChoiceField(
        label=_("Product lines"),
        queryset=product_line_queryset(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    estimated_value = forms.DecimalField(
        label=_("Estimated value"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    expected_close = forms.DateField(
        label=_("Expected close"), widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("Notes for the reviewer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = partner.currency
        self.fields["territory"].label_from_instance = lambda t: f"{t.code} · {t.display_name}"
        self.fields["product_lines"].label_from_instance = lambda line: line.display_name

    def clean_expected_close(self):
        value = self.cleaned_data["expected_close"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The expected close date is in the past."))
        return value

    def clean(self):
        data = super().clean()
        if (
            not (data.get("customer_tax_id") or "").strip()
            and not (data.get("customer_domain") or "").strip()
        ):
            self.add_error("customer_tax_id", _("Give the customer's tax id or web domain."))
        return data


class DealDecisionForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason (the partner sees it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    protection_days = forms.IntegerField(
        label=_("Protection days"),
        min_value=1,
        max_value=365,
        initial=DEFAULT_PROTECTION_DAYS,
        required=False,
    )


class TargetProposalForm(BootstrapMixin, forms.Form):
    period = forms.CharField(
        label=_("Month"),
        max_length=7,
        validators=[PERIOD_VALIDATOR],
        widget=forms.TextInput(attrs={"type": "month"}),
    )
    amount = forms.DecimalField(
        label=_("Target amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].initial = current_period()
        self.fields["period"].widget.attrs["min"] = current_period()


class TargetCounterForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(
        label=_("Your amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


DEAL_STATUS_CHOICES = [("", _("Any status")), *DealRegistration.Status.choices]
