"""What the vendor promises its partners, and the misses already announced to the vendor admins."""

from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from agreements.models import AgreementVersion
from partners.models import Partner
from prm.core.models import TimeStampedModel


class Commitment(models.TextChoices):
    """The vendor's commitments a partner's record is made of."""

    PAYOUT = "payout", _("Payout on time")
    CASE_RESPONSE = "case_response", _("First answer to a case")
    REVIEW = "review", _("Business review held on time")
    PRICE_NOTICE = "price_notice", _("Notice of price changes")
    MDF_DECISION = "mdf_decision", _("Decision on a fund request or claim")
    PROTECTION_DECISION = "protection_decision", _("Decision on a price-protection claim")


# The spec's defaults, used when neither the program file nor the agreement says otherwise.
DEFAULT_OBLIGATIONS = {
    "payout_days": 30,
    "mdf_decision_days": 10,
    "price_protection_decision_days": 15,
}


class Obligations(TimeStampedModel):
    """The vendor's time limits: the program's defaults (no agreement version) or those of one
    agreement version, loaded from the channel program file's `obligations` sections."""

    agreement_version = models.OneToOneField(
        AgreementVersion,
        verbose_name=_("agreement version"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="obligations",
        help_text=_("Empty: the program's defaults."),
    )
    payout_days = models.PositiveSmallIntegerField(
        _("payout within (days of period end)"), default=DEFAULT_OBLIGATIONS["payout_days"]
    )
    mdf_decision_days = models.PositiveSmallIntegerField(
        _("fund decision within (days)"), default=DEFAULT_OBLIGATIONS["mdf_decision_days"]
    )
    price_protection_decision_days = models.PositiveSmallIntegerField(
        _("price-protection decision within (days)"),
        default=DEFAULT_OBLIGATIONS["price_protection_decision_days"],
    )

    class Meta:
        verbose_name = _("vendor obligations")
        verbose_name_plural = _("vendor obligations")
        constraints = [
            # One row per version, and one row of program defaults.
            models.UniqueConstraint(
                Coalesce("agreement_version", Value(0)), name="one_obligations_per_version"
            ),
        ]

    def __str__(self) -> str:
        return str(self.agreement_version or _("Program defaults"))


class CommitmentMiss(models.Model):
    """A missed commitment instance, claimed once by the run that found it; the claim is what
    makes the vendor admins' notification go out exactly once."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="commitment_misses",
    )
    kind = models.CharField(_("commitment"), max_length=24, choices=Commitment.choices)
    ref = models.CharField(_("instance"), max_length=64)
    label = models.CharField(_("what"), max_length=200)
    due = models.DateField(_("due"))
    done = models.DateField(_("done"), null=True, blank=True)
    run = models.UUIDField(_("found by run"), db_index=True)
    found_at = models.DateTimeField(_("found at"))

    class Meta:
        ordering = ["-due", "kind", "ref"]
        verbose_name = _("missed commitment")
        verbose_name_plural = _("missed commitments")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind", "ref"], name="unique_commitment_miss"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind} {self.ref}"
