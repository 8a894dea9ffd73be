"""Relationship health: the weight of each part, and one stored score per partner and quarter."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from partners.models import Partner
from prm.core.models import TimeStampedModel


class HealthWeight(TimeStampedModel):
    """The weight vendor admins give one part of the score (a part without a row weighs its
    default, see engagement.health)."""

    part = models.CharField(_("part"), max_length=32, unique=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MaxValueValidator(100)], help_text=_("0 to 100; 0 leaves it out.")
    )

    class Meta:
        ordering = ["part"]
        verbose_name = _("health weight")
        verbose_name_plural = _("health weights")
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__lte=100), name="health_weight_max"),
        ]

    def __str__(self) -> str:
        return f"{self.part}: {self.weight}"


class HealthSnapshot(models.Model):
    """A partner's score in a quarter, rewritten by each nightly run of that quarter, so a past
    quarter keeps the score it ended on."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="health_snapshots",
    )
    quarter = models.CharField(_("quarter"), max_length=7, help_text=_("YYYY-Qn"))
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    parts = models.JSONField(_("parts"), default=dict, blank=True)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        ordering = ["partner", "-quarter"]
        verbose_name = _("health snapshot")
        verbose_name_plural = _("health snapshots")
        constraints = [
            models.UniqueConstraint(fields=["partner", "quarter"], name="unique_health_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.quarter}: {self.score}"
