"""Business reviews: a meeting with each active partner on a cadence, with a scorecard snapshot,
shared notes and action items both sides can tick off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel

from .organisation import Partner


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Every six months")
    YEARLY = "yearly", _("Yearly")


CADENCE_MONTHS = {
    Cadence.MONTHLY: 1,
    Cadence.QUARTERLY: 3,
    Cadence.HALF_YEARLY: 6,
    Cadence.YEARLY: 12,
}


class BusinessReview(TimeStampedModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="reviews"
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    location = models.CharField(_("place or meeting link"), max_length=255, blank=True)
    cadence = models.CharField(
        _("cadence"), max_length=16, choices=Cadence.choices, default=Cadence.QUARTERLY
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organised_reviews",
    )
    notes = models.TextField(_("shared notes"), blank=True)
    scorecard = models.JSONField(_("scorecard snapshot"), default=dict, blank=True)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    # Bumped when the date or place changes, so calendar clients update their copy.
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("business review")
        verbose_name_plural = _("business reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=models.Q(status="scheduled"),
                name="one_scheduled_review_per_partner",
            )
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_at", "id"], name="review_status_date_idx"),
            models.Index(
                models.Case(
                    models.When(status="scheduled", then=models.Value(0)),
                    default=models.Value(1),
                ),
                models.F("scheduled_at").desc(),
                models.F("id").desc(),
                name="review_list_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner.code} · {self.scheduled_at:%Y-%m-%d}"


class ReviewReminder(models.Model):
    """A reminder that went out, so it never goes twice."""

    class Kind(models.TextChoices):
        DAYS_14 = "14d", _("14 days ahead")
        DAYS_2 = "2d", _("2 days ahead")
        OVERDUE = "overdue", _("Overdue")

    review = models.ForeignKey(
        BusinessReview,
        verbose_name=_("business review"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        constraints = [
            models.UniqueConstraint(fields=["review", "kind"], name="unique_review_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.review} · {self.kind}"


class ActionItem(TimeStampedModel):
    """Something agreed at a review, with an owner on either side and a due date."""

    class Side(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        PARTNER = "partner", _("Partner")

    # The tally of the open items (prm.core.tally, migration partners 0012).
    OPEN_TALLY = "partners.actionitem.open"

    review = models.ForeignKey(
        BusinessReview,
        verbose_name=_("business review"),
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(_("action"), max_length=255)
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(
                fields=["partner", "due_on"],
                condition=models.Q(done_at__isnull=True),
                name="action_item_open_idx",
            ),
            # The vendor dashboard's open action items, soonest due first.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(done_at__isnull=True),
                name="action_item_open_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title
