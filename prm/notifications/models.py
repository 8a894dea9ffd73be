"""What each user is told: in-app notifications, how each category reaches them, and the team
channels (Slack, Microsoft Teams) that vendor admins route categories to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel


class Category(models.TextChoices):
    DEALS = "deals", _("Deal registrations")
    TARGETS = "targets", _("Targets")
    AGREEMENTS = "agreements", _("Agreements")
    PAYOUTS = "payouts", _("Statements and payouts")
    CASES = "cases", _("Cases")
    REVIEWS = "reviews", _("Business reviews")
    ANNOUNCEMENTS = "announcements", _("Announcements")
    RECOGNITION = "recognition", _("Recognition")
    LEARNING = "learning", _("Learning and certifications")
    COMMUNITY = "community", _("Partner pulse and ideas board")


class Delivery(models.TextChoices):
    IN_APP = "in_app", _("In the portal only")
    EMAIL = "email", _("In the portal and by email")
    DIGEST = "digest", _("In the portal and in a daily email digest")


DEFAULT_DELIVERY = Delivery.EMAIL


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing one user was told, in the language they read the portal in."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=255)
    url = models.CharField(_("link"), max_length=500, blank=True)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    digested_at = models.DateTimeField(_("sent in a digest at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivery="digest", digested_at__isnull=True),
                name="notification_digest_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """How one category reaches one user; a category without a row is delivered by email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    delivery = models.CharField(
        _("delivery"), max_length=8, choices=Delivery.choices, default=DEFAULT_DELIVERY
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="unique_user_category")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.category}: {self.delivery}"


class WebhookEndpoint(TimeStampedModel):
    """A Slack or Microsoft Teams incoming webhook that receives some categories, for the whole
    vendor team or for one partner's events only."""

    class Kind(models.TextChoices):
        SLACK = "slack", _("Slack")
        TEAMS = "teams", _("Microsoft Teams")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    url = models.URLField(
        _("incoming-webhook URL"),
        max_length=500,
        help_text=_("Kept secret: anyone with this address can post to the channel."),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text=_("Leave empty to receive the events of every partner."),
    )
    categories = models.JSONField(_("categories"), default=list)
    language = models.CharField(
        _("language"), max_length=16, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team channel webhook")
        verbose_name_plural = _("team channel webhooks")

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One message posted (or being posted) to a webhook, with its attempts."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    text = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.endpoint} · {self.status}"
