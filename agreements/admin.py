from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.core.errors import DomainError, EditConflictError

from .models import (
    Agreement,
    AgreementQuestion,
    AgreementVersion,
    PriceList,
    PriceListItem,
    PriceOverride,
    Product,
    ProductLine,
    Promotion,
    TierLineDiscount,
)
from .selectors import terms_revision
from .services.agreements import Terms, agreement_version_propose, terms_conflict_check
from .services.prices import (
    is_price_change,
    price_change_notice_errors,
    price_list_item_set,
)


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "local_name"]
    search_fields = ["code", "name", "local_name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "line", "currency", "is_active"]
    list_filter = ["line", "currency", "is_active"]
    search_fields = ["sku", "name", "local_name"]
    list_select_related = ["line"]


class PriceListItemForm(forms.ModelForm):
    """Refuses a price change dated inside the notice period of an affected agreement."""

    class Meta:
        model = PriceListItem
        fields = ["product", "list_price", "map_price"]

    def clean(self):
        data = super().clean()
        price_list = self.instance.price_list if self.instance.price_list_id else None
        product, list_price = data.get("product"), data.get("list_price")
        if price_list is None or product is None or list_price is None:
            return data
        if is_price_change(
            product=product,
            price_list=price_list,
            list_price=list_price,
            map_price=data.get("map_price"),
        ):
            today = timezone.localdate()
            errors = price_change_notice_errors(
                products=[product], effective=max(price_list.effective_from, today), today=today
            )
            if errors:
                raise ValidationError(errors)
        return data


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    form = PriceListItemForm
    extra = 1
    autocomplete_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "effective_from"]
    list_filter = ["currency"]
    search_fields = ["code", "name"]
    inlines = [PriceListItemInline]

    def get_readonly_fields(self, request, obj=None):
        # Moving a list's date would move every price in it: make a new list instead.
        return ["effective_from", "currency"] if obj is not None else []

    def save_formset(self, request, form, formset, change):
        if formset.model is not PriceListItem:
            return super().save_formset(request, form, formset, change)
        # What the admin's change message lists, as `formset.save()` would have recorded it.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for item_form in formset.forms:
            if not item_form.has_changed() or item_form in formset.deleted_forms:
                continue
            data = item_form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            existed = item_form.instance.pk is not None
            try:
                item = price_list_item_set(
                    actor=request.user,
                    price_list=form.instance,
                    product=data["product"],
                    list_price=data["list_price"],
                    map_price=data.get("map_price"),
                    today=timezone.localdate(),
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                continue
            if existed:
                formset.changed_objects.append((item, item_form.changed_data))
            else:
                formset.new_objects.append(item)
        for item_form in formset.deleted_forms:
            if item_form.instance.pk:
                formset.deleted_objects.append(item_form.instance)
                item_form.instance.delete()
        return None


@admin.register(TierLineDiscount)
class TierLineDiscountAdmin(admin.ModelAdmin):
    list_display = ["tier", "line", "percent"]
    list_filter = ["tier", "line"]
    list_select_related = ["tier", "line"]


@admin.register(PriceOverride)
class PriceOverrideAdmin(admin.ModelAdmin):
    list_display = ["partner", "product", "discount", "net_price", "reason"]
    search_fields = ["partner__code", "product__sku"]
    autocomplete_fields = ["partner", "product"]
    list_select_related = ["partner", "product"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "percent", "start", "end", "line", "product"]
    list_filter = ["line"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["product", "partners", "territories"]
    filter_horizontal = ["tiers"]


class AgreementVersionInline(admin.TabularInline):
    model = AgreementVersion
    fields = ["number", "status", "effective_date", "in_force_from", "accepted_by", "accepted_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ["number", "partner", "type", "status", "start", "end", "auto_renew"]
    list_filter = ["status", "type"]
    search_fields = ["number", "partner__code", "partner__name"]
    autocomplete_fields = ["partner"]
    list_select_related = ["partner"]
    inlines = [AgreementVersionInline]
    readonly_fields = [
        "status",
        "termination_requested_by",
        "termination_reason",
        "termination_notified_on",
        "termination_effective",
    ]


class AgreementVersionForm(forms.ModelForm):
    # The latest version number when the page was opened: a save after someone else published
    # a version is refused rather than replacing their terms.
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["based_on"].initial = terms_revision(self.instance.agreement)

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and data.get("based_on") is not None:
            try:
                terms_conflict_check(self.instance.agreement, data["based_on"])
            except EditConflictError as exc:
                raise ValidationError(exc.message) from exc
        return data

    class Meta:
        model = AgreementVersion
        fields = [
            "effective_date",
            "territories",
            "product_lines",
            "segments",
            "exclusive",
            "commission_plan",
            "payment_terms_days",
            "payment_terms",
            "price_notice_days",
            "price_protection_days",
            "termination_notice_days",
            "termination_compensation",
            "review_cadence",
            "change_summary",
        ]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(admin.ModelAdmin):
    """Saving a published version never changes it: the edit is published as a new version."""

    form = AgreementVersionForm
    list_display = ["__str__", "status", "effective_date", "in_force_from", "accepted_by"]
    list_filter = ["status"]
    search_fields = ["agreement__number", "agreement__partner__code"]
    list_select_related = ["agreement", "accepted_by"]
    filter_horizontal = ["territories", "product_lines", "segments"]

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        terms = Terms(
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
        try:
            request.proposed_version = agreement_version_propose(
                actor=request.user,
                agreement=obj.agreement,
                terms=terms,
                change_summary=data["change_summary"],
                based_on=data["based_on"],
            )
        except DomainError as exc:
            request.proposal_refused = exc.message

    def save_related(self, request, form, formsets, change):
        # The proposal carries the new scope; the edited version keeps its own.
        return None

    def response_change(self, request, obj):
        refused = getattr(request, "proposal_refused", None)
        if refused is not None:
            self.message_user(request, refused, messages.ERROR)
            return HttpResponseRedirect(request.path)
        proposed = getattr(request, "proposed_version", None)
        if proposed is None:
            return super().response_change(request, obj)
        self.message_user(
            request,
            _("Published terms never change: your edit is version %(n)s, awaiting acceptance.")
            % {"n": proposed.number},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:agreements_agreementversion_change", args=[proposed.pk])
        )


@admin.register(AgreementQuestion)
class AgreementQuestionAdmin(admin.ModelAdmin):
    list_display = ["version", "asked_by", "created_at"]
    list_select_related = ["version__agreement", "asked_by"]
    readonly_fields = ["version", "asked_by", "text"]
