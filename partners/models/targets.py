from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES

from .organisation import Partner

PERIOD_VALIDATOR = RegexValidator(
    r"^\d{4}-(0[1-9]|1[0-2])$", _("Give the period as a month: YYYY-MM.")
)


class Target(TimeStampedModel):
    """A partner's sales target for one month, agreed by both sides through proposals."""

    class Status(models.TextChoices):
        NEGOTIATING = "negotiating", _("Under negotiation")
        AGREED = "agreed", _("Agreed")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="targets"
    )
    period = models.CharField(_("period"), max_length=7, validators=[PERIOD_VALIDATOR])
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount = models.DecimalField(
        _("agreed amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEGOTIATING
    )
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["partner", "period"], name="unique_target_period"),
            models.CheckConstraint(
                condition=~models.Q(status="agreed")
                | models.Q(amount__isnull=False, agreed_at__isnull=False),
                name="agreed_target_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} {self.period}"


class TargetProposal(models.Model):
    """One step of the negotiation thread: a side proposes an amount; the other side accepts it
    or answers with a counter-proposal. At most one proposal per target is open."""

    class Side(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        PARTNER = "partner", _("Partner")

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting answer")
        ACCEPTED = "accepted", _("Accepted")
        COUNTERED = "countered", _("Countered")

    target = models.ForeignKey(
        Target, verbose_name=_("target"), on_delete=models.CASCADE, related_name="proposals"
    )
    side = models.CharField(_("proposed by side"), max_length=8, choices=Side.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("target proposal")
        verbose_name_plural = _("target proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["target"], condition=models.Q(status="open"), name="one_open_proposal"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="proposal_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.get_side_display()} {self.amount}"
