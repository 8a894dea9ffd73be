"""The resource library: files and links by category, audience and language, each change a new
version (the old ones stay reachable), with downloads counted per partner and each reader's
last visit for "new since your last visit"."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, Territory, Tier
from partners.models.organisation import _localised
from prm.core.models import TimeStampedModel


class Resource(TimeStampedModel):
    class Category(models.TextChoices):
        PRODUCT_INFORMATION = "product_information", _("Product information")
        MARKET_RESEARCH = "market_research", _("Market research")
        COMPETITIVE_INTELLIGENCE = "competitive_intelligence", _("Competitive intelligence")
        SALES_PLAYBOOK = "sales_playbook", _("Sales playbooks")
        SUCCESS_STORY = "success_story", _("Success stories and lessons learned")

    title = models.CharField(_("title"), max_length=200)
    local_title = models.CharField(_("title in Chinese"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    local_description = models.TextField(_("description in Chinese"), blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Leave empty for material in every language."),
    )
    # The audience: no tier or territory chosen means every partner; a country territory (TW)
    # covers its subdivisions (TW-TPE), as for announcements.
    tiers = models.ManyToManyField(Tier, verbose_name=_("tiers"), blank=True, related_name="+")
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories"), blank=True, related_name="+"
    )
    for_admin = models.BooleanField(_("for partner admins"), default=True)
    for_finance = models.BooleanField(_("for partner finance"), default=True)
    for_sales = models.BooleanField(_("for partner sales"), default=True)
    current_version = models.ForeignKey(
        "ResourceVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the current version was added: what "new since your last visit" compares with.
    updated_on = models.DateTimeField(_("last new version"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-updated_on", "-id"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            models.CheckConstraint(
                condition=Q(for_admin=True) | Q(for_finance=True) | Q(for_sales=True),
                name="resource_for_some_role",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.local_title)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.local_description)


class ResourceVersion(TimeStampedModel):
    """One version of a resource: an uploaded file (checked like a case attachment) or a link."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_size = models.PositiveIntegerField(_("file size"), null=True, blank=True)
    link = models.URLField(_("link"), max_length=500, blank=True)
    notes = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["resource", "-number"]
        verbose_name = _("resource version")
        verbose_name_plural = _("resource versions")
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="unique_resource_version"),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(link="")) | (~Q(file="") & Q(link="")),
                name="resource_version_file_or_link",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} v{self.number}"

    @property
    def is_link(self) -> bool:
        return bool(self.link)


class ResourceDownload(models.Model):
    """One download (or opened link) of a version; `partner` is the organisation the reader
    acted for, empty for vendor staff."""

    version = models.ForeignKey(
        ResourceVersion,
        verbose_name=_("resource version"),
        on_delete=models.CASCADE,
        related_name="downloads",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="resource_downloads",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("downloaded at"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("resource download")
        verbose_name_plural = _("resource downloads")
        indexes = [models.Index(fields=["version", "partner"])]

    def __str__(self) -> str:
        return f"{self.version} @ {self.at:%Y-%m-%d %H:%M}"


class ResourceVisit(models.Model):
    """A reader's visits to the library: resources with a version added after `previous_visit`
    are new to them."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="resource_visit",
    )
    last_visit = models.DateTimeField(_("last visit"))
    previous_visit = models.DateTimeField(_("visit before"), null=True, blank=True)

    class Meta:
        verbose_name = _("resource library visit")
        verbose_name_plural = _("resource library visits")

    def __str__(self) -> str:
        return f"{self.user} {self.last_visit:%Y-%m-%d %H:%M}"
