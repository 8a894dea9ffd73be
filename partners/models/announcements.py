"""Announcements from the vendor to an audience of partners, read per user and, for price and
policy changes, acknowledged per partner."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from prm.core.models import TimeStampedModel

from .organisation import Partner, Territory, Tier, _localised


class Announcement(TimeStampedModel):
    class Category(models.TextChoices):
        PRODUCT_UPDATE = "product_update", _("Product update")
        PRICE_CHANGE = "price_change", _("Price change")
        MARKET_INFORMATION = "market_information", _("Market information")
        COMPETITIVE_INTELLIGENCE = "competitive_intelligence", _("Competitive intelligence")
        POLICY = "policy", _("Policy")

    class Audience(models.TextChoices):
        ALL = "all", _("All partners")
        TIERS = "tiers", _("Partners in some tiers")
        TERRITORIES = "territories", _("Partners in some territories")
        PARTNERS = "partners", _("Named partners")

    # Categories whose announcements each partner must acknowledge.
    ACKNOWLEDGED_CATEGORIES = frozenset({Category.PRICE_CHANGE, Category.POLICY})

    title = models.CharField(_("title"), max_length=200)
    local_title = models.CharField(_("title in Chinese"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    local_body = models.TextField(_("text in Chinese"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.ALL
    )
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), blank=True, related_name="+")
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories"), blank=True, related_name="+"
    )
    partners = models.ManyToManyField(
        Partner, verbose_name=_("partners"), blank=True, related_name="+"
    )
    requires_acknowledgement = models.BooleanField(_("requires acknowledgement"), default=False)
    acknowledge_by = models.DateField(_("acknowledge by"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    # Kept by the services that publish and acknowledge, so that a list of announcements does
    # not count thousands of recipients per row.
    recipient_total = models.PositiveIntegerField(
        _("announcement recipients"), default=0, editable=False
    )
    acknowledged_total = models.PositiveIntegerField(_("Acknowledged"), default=0, editable=False)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.local_title)

    @property
    def display_body(self) -> str:
        return _localised(self.body, self.local_body)


class AnnouncementRecipient(models.Model):
    """A partner the announcement was published to (the audience as it stood then), and its
    acknowledgement."""

    announcement = models.ForeignKey(
        Announcement,
        verbose_name=_("announcement"),
        on_delete=models.CASCADE,
        related_name="recipients",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="announcement_receipts",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("announcement recipient")
        verbose_name_plural = _("announcement recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "partner"], name="unique_announcement_partner"
            )
        ]
        indexes = [
            models.Index(fields=["partner", "announcement"]),
            models.Index(
                fields=["announcement", "partner"],
                condition=models.Q(acknowledged_at__isnull=False),
                name="announcement_acknowledged_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.announcement} → {self.partner.code}"


class AnnouncementRead(models.Model):
    """A user opened the announcement (unread counts are per user)."""

    announcement = models.ForeignKey(
        Announcement, verbose_name=_("announcement"), on_delete=models.CASCADE, related_name="reads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="announcement_reads",
    )
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("announcement read")
        verbose_name_plural = _("announcement reads")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "user"], name="unique_announcement_read"
            )
        ]

    def __str__(self) -> str:
        return f"{self.announcement} · {self.user}"
