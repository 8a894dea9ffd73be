from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Territory, Tier, _localised
from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class ProductLine(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    local_name = models.CharField(_("name in Chinese"), max_length=200, blank=True)
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="TWD"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.sku} {self.display_name}"

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)


class PriceList(TimeStampedModel):
    """List prices in one currency from a date on; the latest list in force on a date wins."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    effective_from = models.DateField(_("effective from"), db_index=True)

    class Meta:
        ordering = ["-effective_from", "code"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.code} ({self.currency}, {self.effective_from:%Y-%m-%d})"


class PriceListItem(TimeStampedModel):
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.PROTECT, related_name="items"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="price_items"
    )
    list_price = models.DecimalField(
        _("list price"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    map_price = models.DecimalField(
        _("minimum advertised price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["product__sku"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="unique_price_item"),
        ]
        indexes = [
            # A product's items, each with its list and prices, read from the index alone: the
            # list price in force on a day (the one each upcoming change replaces), a page's
            # prices.
            models.Index(
                fields=["product", "price_list"],
                include=["list_price", "map_price"],
                name="price_item_product_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} {self.list_price}"


class TierLineDiscount(TimeStampedModel):
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="line_discounts"
    )
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        on_delete=models.CASCADE,
        related_name="tier_discounts",
    )
    percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS
    )

    class Meta:
        ordering = ["tier__rank", "line__code"]
        verbose_name = _("tier discount by product line")
        verbose_name_plural = _("tier discounts by product line")
        constraints = [
            models.UniqueConstraint(fields=["tier", "line"], name="unique_tier_line_discount"),
        ]

    def __str__(self) -> str:
        return f"{self.tier.code} {self.line.code} {self.percent}%"


class PriceOverride(TimeStampedModel):
    """A partner-specific price for one product: a discount or a fixed net price."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="price_overrides"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="overrides"
    )
    discount = models.DecimalField(
        _("discount %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
    )
    net_price = models.DecimalField(
        _("net price"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["partner__code", "product__sku"]
        verbose_name = _("partner price override")
        verbose_name_plural = _("partner price overrides")
        constraints = [
            models.UniqueConstraint(fields=["partner", "product"], name="unique_price_override"),
            models.CheckConstraint(
                condition=(
                    models.Q(discount__isnull=False, net_price__isnull=True)
                    | models.Q(discount__isnull=True, net_price__isnull=False)
                ),
                name="override_is_discount_or_net_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.product.sku}"


class Promotion(TimeStampedModel):
    """A percentage off for a date range, an audience (tiers, territories, partners; none = all)
    and a scope (one product, one line, or everything)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    percent = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    line = models.ForeignKey(
        ProductLine,
        verbose_name=_("product line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promotions",
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="promotions",
    )
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), blank=True)
    territories = models.ManyToManyField(Territory, verbose_name=_("territories"), blank=True)
    partners = models.ManyToManyField(Partner, verbose_name=_("partners"), blank=True)

    class Meta:
        ordering = ["-start", "code"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="promotion_dates"
            ),
            models.CheckConstraint(
                condition=models.Q(line__isnull=True) | models.Q(product__isnull=True),
                name="promotion_scope_line_or_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.percent}%"


class Agreement(TimeStampedModel):
    class Type(models.TextChoices):
        DISTRIBUTION = "distribution", _("Distribution")
        RESELLER = "reseller", _("Reseller")
        REFERRAL = "referral", _("Referral")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Awaiting acceptance")
        ACTIVE = "active", _("Active")
        EXPIRING = "expiring", _("Expiring")
        EXPIRED = "expired", _("Expired")
        TERMINATED = "terminated", _("Terminated")

    class Side(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        PARTNER = "partner", _("Partner")

    number = models.CharField(_("number"), max_length=32, unique=True)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="agreements"
    )
    type = models.CharField(
        _("type"), max_length=16, choices=Type.choices, default=Type.DISTRIBUTION
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    termination_requested_by = models.CharField(
        _("termination requested by"), max_length=8, choices=Side.choices, blank=True
    )
    termination_reason = models.TextField(_("termination reason"), blank=True)
    termination_notified_on = models.DateField(_("termination notified on"), null=True, blank=True)
    termination_effective = models.DateField(_("termination effective"), null=True, blank=True)

    class Meta:
        ordering = ["partner__code", "number"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="agreement_dates"
            ),
        ]
        indexes = [
            # The vendor dashboard's agreements about to expire, soonest first.
            models.Index(
                fields=["end", "number"],
                condition=models.Q(status="expiring"),
                name="agreement_expiring_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AgreementVersion(TimeStampedModel):
    """One version of an agreement's terms. Once published it never changes: an edit is a new
    version, in force once the partner has accepted it and its effective date has come."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_ACCEPTANCE = "awaiting_acceptance", _("Awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        HALF_YEARLY = "half_yearly", _("Every six months")
        YEARLY = "yearly", _("Yearly")

    # The terms: frozen when the version is published.
    TERM_FIELDS = (
        "effective_date",
        "exclusive",
        "commission_plan",
        "payment_terms_days",
        "payment_terms",
        "price_notice_days",
        "price_protection_days",
        "termination_notice_days",
        "termination_compensation",
        "review_cadence",
    )

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    effective_date = models.DateField(_("effective date"))
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories"), blank=True, related_name="agreement_versions"
    )
    product_lines = models.ManyToManyField(
        ProductLine, verbose_name=_("product lines"), blank=True, related_name="agreement_versions"
    )
    segments = models.ManyToManyField(
        "partners.Segment",
        verbose_name=_("customer segments"),
        blank=True,
        related_name="agreement_versions",
    )
    exclusive = models.BooleanField(_("exclusive"), default=False)
    commission_plan = models.CharField(
        _("commission plan"), max_length=32, blank=True, help_text=_("Code of the commission plan.")
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    payment_terms = models.TextField(_("payment terms"), blank=True)
    price_notice_days = models.PositiveSmallIntegerField(
        _("price-change notice (days)"), default=30
    )
    price_protection_days = models.PositiveSmallIntegerField(
        _("price protection (days)"),
        default=0,
        blank=True,
        help_text=_(
            "Purchases invoiced this many days before a price cut are credited the drop "
            "(0: no protection)."
        ),
    )
    termination_notice_days = models.PositiveSmallIntegerField(
        _("termination notice (days)"), default=90
    )
    termination_compensation = models.TextField(_("termination compensation"), blank=True)
    review_cadence = models.CharField(
        _("business review cadence"),
        max_length=16,
        choices=Cadence.choices,
        default=Cadence.QUARTERLY,
    )
    change_summary = models.TextField(_("what changed and why"), blank=True)
    terms = models.JSONField(_("published terms"), default=dict, blank=True, editable=False)
    terms_hash = models.CharField(_("hash of the terms"), max_length=64, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_ip = models.GenericIPAddressField(_("accepted from IP address"), null=True, blank=True)
    accepted_hash = models.CharField(_("hash of the accepted text"), max_length=64, blank=True)
    in_force_from = models.DateField(
        _("in force from"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The later of the acceptance and the effective date."),
    )

    class Meta:
        ordering = ["agreement__number", "-number"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="unique_version_number"),
            # At most one proposal waits for the partner at a time.
            models.UniqueConstraint(
                fields=["agreement"],
                condition=models.Q(status="awaiting_acceptance"),
                name="one_pending_version_per_agreement",
            ),
            models.CheckConstraint(
                condition=models.Q(status="accepted", in_force_from__isnull=False)
                | ~models.Q(status="accepted"),
                name="accepted_version_has_in_force_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.number} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status != self.Status.DRAFT

    def save(self, *args, **kwargs):
        # Guard against any code path (admin, shell, bulk scripts) rewriting published terms.
        if self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values(*self.TERM_FIELDS, "status").first()
            )
            if stored and stored["status"] != self.Status.DRAFT:
                changed = [f for f in self.TERM_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise PublishedVersionImmutableError(self, changed)
        super().save(*args, **kwargs)


class PublishedVersionImmutableError(Exception):
    def __init__(self, version: "AgreementVersion", fields: list[str]) -> None:
        super().__init__(
            f"{version} is published and cannot change ({', '.join(fields)}); propose a new version"
        )
        self.fields = fields


class AgreementQuestion(TimeStampedModel):
    """A partner's question about a proposed version; vendor staff are told and answer."""

    version = models.ForeignKey(
        AgreementVersion,
        verbose_name=_("version"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("question"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question about terms")
        verbose_name_plural = _("questions about terms")

    def __str__(self) -> str:
        return f"{self.version}: {self.text[:40]}"


class AgreementReminder(models.Model):
    """One reminder sent about an agreement; the unique key makes each reminder go out once."""

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="reminders"
    )
    key = models.CharField(_("key"), max_length=64)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement reminder")
        verbose_name_plural = _("agreement reminders")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "key"], name="unique_agreement_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.number} {self.key}"
