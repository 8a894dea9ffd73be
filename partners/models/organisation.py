from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from prm.core.models import TimeStampedModel
from prm.core.money import CURRENCY_CHOICES


def _localised(name: str, local_name: str, language: str | None = None) -> str:
    """The Chinese name when the interface (or `language`, the interface's language read once
    for many names) is in Chinese and one is set, else the English one."""
    if local_name and ((language or get_language()) or "").startswith("zh"):
        return local_name
    return name


class Territory(TimeStampedModel):
    """A sales territory, coded ISO 3166-2 style (country, or country-subdivision: TW-TPE)."""

    code = models.CharField(
        _("code"),
        max_length=10,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
                _("Use an ISO 3166-2 style code such as TW or TW-TPE."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)

    @property
    def country(self) -> str:
        return self.code[:2]


class Segment(TimeStampedModel):
    """A customer segment (enterprise, SMB, public sector, education...)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)


class Tier(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("name in Chinese"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), default=0)
    default_discount = models.DecimalField(
        _("default discount %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Applies to every product line without a discount of its own."),
    )
    requirements = models.TextField(_("requirements"), blank=True)
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["rank", "code"]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)


class RiskRating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class PartnerQuerySet(models.QuerySet):
    def flagged(self) -> "PartnerQuerySet":
        """Partners over their credit limit or rated high risk."""
        return self.filter(FLAGGED_Q)


# Over the credit limit: overdue receivables exceed the limit granted.
FLAGGED_Q = models.Q(overdue_receivables__gt=models.F("credit_limit")) | models.Q(
    risk_rating=RiskRating.HIGH
)


class Partner(TimeStampedModel):
    RiskRating = RiskRating

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
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True)
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
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories"), blank=True, related_name="partners"
    )
    segments = models.ManyToManyField(
        Segment, verbose_name=_("customer segments"), blank=True, related_name="partners"
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    overdue_receivables = models.DecimalField(
        _("overdue receivables"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    risk_rating = models.CharField(
        _("risk rating"), max_length=8, choices=RiskRating.choices, default=RiskRating.LOW
    )

    # The tally of the flagged partners (FLAGGED_Q; prm.core.tally, migration partners 0014).
    FLAGGED_TALLY = "partners.partner.flagged"

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        permissions = [
            ("manage_partner", _("Can manage this partner")),
            ("view_all_partners", _("Can view every partner")),
        ]
        indexes = [
            # The dashboards' flagged partners, the most overdue first: the first few are read
            # from the index instead of sorting every flagged partner.
            models.Index(fields=["-overdue_receivables", "code"], name="partner_most_overdue_idx"),
            # How many partners are flagged, counted from the index of the flagged ones alone.
            models.Index(fields=["id"], condition=FLAGGED_Q, name="partner_flagged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.display_name}"

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.local_name)

    @property
    def is_over_credit_limit(self) -> bool:
        return self.overdue_receivables > self.credit_limit

    @property
    def is_high_risk(self) -> bool:
        return self.risk_rating == RiskRating.HIGH

    @property
    def is_flagged(self) -> bool:
        return self.is_over_credit_limit or self.is_high_risk


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


class PartnerGrantTotal(models.Model):
    """The number of partners on which a user holds a permission through guardian's user grants
    (PartnerUserObjectPermission), per user and permission, and the number of partners (the
    row whose user and permission are 0), kept by database triggers on every insert, update
    and delete of those grants and of partners. Whether a channel manager manages every
    partner is then two rows to compare instead of two counts."""

    EVERY_PARTNER = 0  # the user and permission of the row counting the partners

    user_id = models.BigIntegerField()
    permission_id = models.BigIntegerField()
    total = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("partner grant total")
        verbose_name_plural = _("partner grant totals")
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "permission_id"], name="unique_partner_grant_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.permission_id}: {self.total}"
