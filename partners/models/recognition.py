from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from prm.core.models import TimeStampedModel

from .organisation import Partner, _localised


class Award(TimeStampedModel):
    """A distinction the vendor gives partners: an award (Distributor of the Year) or a badge
    (Certified Security Partner)."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        BADGE = "badge", _("Badge")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.AWARD)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("award or badge")
        verbose_name_plural = _("awards and badges")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)


class PartnerAward(TimeStampedModel):
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="awards"
    )
    award = models.ForeignKey(
        Award, verbose_name=_("award or badge"), on_delete=models.PROTECT, related_name="grants"
    )
    awarded_on = models.DateField(_("awarded on"))
    citation = models.CharField(_("citation"), max_length=255, blank=True)
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("awarded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-awarded_on", "-id"]
        verbose_name = _("partner award")
        verbose_name_plural = _("partner awards")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "award", "awarded_on"], name="unique_partner_award"
            )
        ]

    def __str__(self) -> str:
        return f"{self.award} · {self.partner.code} ({self.awarded_on:%Y})"


class Milestone(models.Model):
    """Something worth celebrating, recorded once: a target reached, the first approved deal, a
    year of partnership, an award. Both sides are congratulated and the profile shows the badge."""

    class Kind(models.TextChoices):
        TARGET_REACHED = "target_reached", _("Target reached")
        FIRST_DEAL = "first_deal", _("First deal")
        ANNIVERSARY = "anniversary", _("Partnership anniversary")
        AWARD = "award", _("Award")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # What makes it unique within its kind: the period, the number of years, the award grant.
    key = models.CharField(_("key"), max_length=32)
    achieved_on = models.DateField(_("achieved on"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-achieved_on", "-id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["partner", "kind", "key"], name="unique_milestone")
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} · {self.kind} {self.key}"

    @property
    def display_label(self) -> str:
        """The badge's text in the active language: "Target reached · 2026-05", "2 years of
        partnership", "First deal", or the award's name."""
        if self.kind == self.Kind.TARGET_REACHED:
            return _("Target reached · %(period)s") % {"period": self.key}
        if self.kind == self.Kind.ANNIVERSARY:
            years = int(self.key) if self.key.isdigit() else 0
            return ngettext(
                "%(years)d year of partnership", "%(years)d years of partnership", years
            ) % {"years": years}
        if self.kind == self.Kind.AWARD:
            return _localised(self.detail.get("award", ""), self.detail.get("local_award", ""))
        return str(self.get_kind_display())

    @property
    def icon(self) -> str:
        return MILESTONE_ICONS.get(self.kind, "bi-star-fill")


MILESTONE_ICONS = {
    Milestone.Kind.TARGET_REACHED: "bi-bullseye",
    Milestone.Kind.FIRST_DEAL: "bi-briefcase-fill",
    Milestone.Kind.ANNIVERSARY: "bi-calendar-heart",
    Milestone.Kind.AWARD: "bi-trophy-fill",
}
