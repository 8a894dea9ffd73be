from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES

from .organisation import Partner, Territory

DEFAULT_PROTECTION_DAYS = 90


class DealRegistration(TimeStampedModel):
    """An opportunity a partner registers to claim a customer; approval protects it for a while.

    The `*_key` columns hold the normalised customer identity (partners.normalise) that conflict
    detection compares.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Protection expired")

    # The tallies of the pending registrations and of every registration (prm.core.tally,
    # migrations partners 0012 and 0013).
    PENDING_TALLY = "partners.deal.pending"
    ALL_TALLY = "partners.deal.all"

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="deal_registrations",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer_name = models.CharField(_("customer name"), max_length=200)
    customer_key = models.CharField(_("normalised customer name"), max_length=200, db_index=True)
    customer_tax_id = models.CharField(_("customer tax id"), max_length=32, blank=True)
    customer_tax_id_key = models.CharField(
        _("normalised tax id"), max_length=32, blank=True, db_index=True
    )
    customer_domain = models.CharField(_("customer domain"), max_length=255, blank=True)
    customer_domain_key = models.CharField(
        _("normalised domain"), max_length=255, blank=True, db_index=True
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="deal_registrations",
    )
    product_lines = models.ManyToManyField(
        "agreements.ProductLine",
        verbose_name=_("product lines"),
        related_name="deal_registrations",
    )
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    expected_close = models.DateField(_("expected close"))
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    has_conflict = models.BooleanField(_("conflicts with another partner"), default=False)
    protection_days = models.PositiveSmallIntegerField(
        _("protection days"),
        default=DEFAULT_PROTECTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    expiry_warning_sent_at = models.DateTimeField(
        _("expiry warning sent at"), null=True, blank=True
    )
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal registration")
        verbose_name_plural = _("deal registrations")
        indexes = [
            models.Index(fields=["status", "protected_until"], name="deal_status_protection_idx"),
            models.Index(fields=["partner", "status"], name="deal_partner_status_idx"),
            # The deal list's default order: newest first.
            models.Index(fields=["-created_at", "-id"], name="deal_newest_first_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_value__gt=Decimal("0")),
                name="deal_value_positive",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(protected_until__isnull=False),
                name="approved_deal_is_protected",
            ),
            models.CheckConstraint(
                condition=~models.Q(customer_tax_id_key="", customer_domain_key=""),
                name="deal_has_tax_id_or_domain",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_name}"

    @property
    def number(self) -> str:
        return f"DR-{self.pk:06d}" if self.pk else "DR-new"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.APPROVED)


class DealConflict(models.Model):
    """`deal` collides with `other`, another partner's live registration for the same customer
    and an overlapping product line. Recorded on both sides when the later one is registered."""

    class MatchedOn(models.TextChoices):
        TAX_ID = "tax_id", _("tax id")
        DOMAIN = "domain", _("web domain")
        NAME = "name", _("customer name")

    deal = models.ForeignKey(
        DealRegistration,
        verbose_name=_("registration"),
        on_delete=models.CASCADE,
        related_name="conflicts",
    )
    other = models.ForeignKey(
        DealRegistration,
        verbose_name=_("conflicting registration"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    matched_on = models.CharField(_("matched on"), max_length=8, choices=MatchedOn.choices)
    created_at = models.DateTimeField(_("detected at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("deal conflict")
        verbose_name_plural = _("deal conflicts")
        constraints = [
            models.UniqueConstraint(fields=["deal", "other"], name="unique_deal_conflict"),
            models.CheckConstraint(
                condition=~models.Q(deal=models.F("other")), name="deal_conflict_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal.number} ↔ {self.other.number}"
