from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES


class Tier(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name


class Partner(TimeStampedModel):
    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    local_name = models.CharField(
        _("name in Chinese"),
        max_length=200,
        blank=True,
        help_text=_("Shown instead of the name when the interface is in Chinese."),
    )
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    country = models.CharField(_("country"), max_length=2, default="TW")
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="TWD"
    )
    tier = models.ForeignKey(
        Tier,
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partners",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROSPECT
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_partners",
        limit_choices_to={"vendor_role__in": ["admin", "channel_manager"]},
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        permissions = [
            ("manage_partner", _("Can manage this partner")),
            ("view_all_partners", _("Can view every partner")),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.local_name and (get_language() or "").startswith("zh"):
            return self.local_name
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Partner admin")
        FINANCE = "finance", _("Finance")
        SALES = "sales", _("Sales")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["partner__code", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "partner"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner.code} ({self.get_role_display()})"


class PartnerUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign key for guardian's grants on partners: scoping joins on an indexed integer
    column instead of the generic text object id."""

    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("partner permission of a user")
        verbose_name_plural = _("partner permissions of users")


class PartnerGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Partner, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("partner permission of a group")
        verbose_name_plural = _("partner permissions of groups")
