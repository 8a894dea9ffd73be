from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisation import Partner, RiskRating


class RiskAssessment(models.Model):
    """One assessment of a partner's financial risk; the rows are the rating's history and are
    never edited. The partner row carries the latest values for filtering and sorting."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="risk_assessments",
    )
    risk_rating = models.CharField(_("risk rating"), max_length=8, choices=RiskRating.choices)
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    overdue_receivables = models.DecimalField(
        _("overdue receivables"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    reason = models.TextField(_("reason"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("assessed at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0, overdue_receivables__gte=0),
                name="risk_amounts_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner.code}: {self.get_risk_rating_display()}"
