from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Tier
from prm.core.models import TimeStampedModel


class Certification(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    validity_months = models.PositiveSmallIntegerField(
        _("validity in months"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gte=1), name="certification_validity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Certificate(TimeStampedModel):
    """A person's certification, valid from ``earned`` (inclusive) to ``expires`` (exclusive)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("holder"),
        on_delete=models.CASCADE,
        related_name="certificates",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    earned = models.DateField(_("earned on"))
    expires = models.DateField(_("expires on"))

    class Meta:
        ordering = ["certification__code", "user__email", "-earned"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "certification", "earned"], name="unique_certificate_per_day"
            ),
            models.CheckConstraint(
                condition=Q(expires__gt=F("earned")), name="certificate_expires_after_earned"
            ),
        ]
        indexes = [models.Index(fields=["certification", "earned", "expires"])]

    def __str__(self) -> str:
        return f"{self.certification.code}: {self.user} ({self.earned} – {self.expires})"


class TierRequirements(TimeStampedModel):
    """What a partner must show to qualify for a tier; a tier without this row always qualifies."""

    tier = models.OneToOneField(
        Tier, verbose_name=_("tier"), on_delete=models.CASCADE, related_name="rule"
    )
    revenue_12m = models.DecimalField(
        _("revenue over 12 months"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    max_open_incidents = models.PositiveIntegerField(
        _("most open compliance incidents"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("tier requirements")
        verbose_name_plural = _("tier requirements")

    def __str__(self) -> str:
        return str(self.tier)


class TierCertificationRequirement(TimeStampedModel):
    requirements = models.ForeignKey(
        TierRequirements,
        verbose_name=_("tier requirements"),
        on_delete=models.CASCADE,
        related_name="certifications",
    )
    certification = models.ForeignKey(
        Certification,
        verbose_name=_("certification"),
        on_delete=models.PROTECT,
        related_name="tier_requirements",
    )
    count = models.PositiveSmallIntegerField(
        _("certified people"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["certification__code"]
        verbose_name = _("certification requirement")
        verbose_name_plural = _("certification requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["requirements", "certification"], name="unique_tier_certification"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification.code} × {self.count}"


class TierPolicy(TimeStampedModel):
    """The program's single tier policy row."""

    demotion_notice_days = models.PositiveSmallIntegerField(
        _("demotion notice in days"), default=90
    )

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policy")

    def __str__(self) -> str:
        return str(_("Tier policy"))


class TierChange(TimeStampedModel):
    """A proposed tier move: a promotion awaiting approval, or a demotion awaiting its date.

    A partner has at most one open change: a pending promotion or a noticed demotion."""

    class Direction(models.TextChoices):
        PROMOTE = "promote", _("Promotion")
        DEMOTE = "demote", _("Demotion")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        NOTICED = "noticed", _("Notice given")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Empty for a partner that had no tier yet.
    from_tier = models.ForeignKey(
        Tier,
        verbose_name=_("from tier"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_on = models.DateField(_("proposed on"))
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    OPEN_STATUSES = (Status.PENDING, Status.NOTICED)

    class Meta:
        ordering = ["-proposed_on", "partner__code"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status__in=["pending", "noticed"]),
                name="one_open_tier_change_per_partner",
            ),
            models.CheckConstraint(
                condition=Q(direction="promote") | Q(effective_on__isnull=False),
                name="demotion_has_effective_date",
            ),
        ]

    def __str__(self) -> str:
        source = self.from_tier.code if self.from_tier_id else "—"
        return f"{self.partner.code}: {source} → {self.to_tier.code}"


class CertificateReminder(models.Model):
    """An expiry reminder that went out for a certificate, so it never goes twice.

    The unique (certificate, kind) pair is the guard: a run inserts its rows with its own
    ``claim`` and sends only the rows that carry it, so two runs at once never both send."""

    class Kind(models.TextChoices):
        DAYS_60 = "60d", _("60 days before expiry")
        DAYS_14 = "14d", _("14 days before expiry")

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    sent_on = models.DateField(_("sent on"))
    claim = models.UUIDField(_("claim"), editable=False)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate reminder")
        verbose_name_plural = _("certificate reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "kind"], name="unique_certificate_reminder"
            ),
        ]
        indexes = [models.Index(fields=["claim"])]

    def __str__(self) -> str:
        return f"{self.certificate} · {self.kind}"


# The resource library's models live in their own module and are registered with the app here.
from .resource_models import (  # noqa: E402, F401
    Resource,
    ResourceDownload,
    ResourceVersion,
    ResourceVisit,
)
