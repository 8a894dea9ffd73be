from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.core.prepared import PreparedQuery


class UserManager(DjangoUserManager):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("vendor_role", User.VendorRole.ADMIN)
        return self._create_user(email, password, **extra_fields)

    def get(self, *args, **kwargs):
        """`get(pk=id)`, which the authentication backend asks on every signed-in request, runs
        SQL compiled once per process (`PreparedQuery`); any other lookup runs as Django's."""
        pk = kwargs.get("pk")
        if isinstance(pk, str) and pk.isascii() and pk.isdigit():
            pk = int(pk)
        if args or kwargs.keys() != {"pk"} or type(pk) is not int or not 0 < pk < 2**63:
            return super().get(*args, **kwargs)
        users = _USER_BY_PK(user=pk, using=self.db)
        if not users:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist."
            )
        return users[0]


class User(AbstractBaseUser, PermissionsMixin):
    class VendorRole(models.TextChoices):
        NONE = "", _("Not vendor staff")
        ADMIN = "admin", _("Vendor admin")
        CHANNEL_MANAGER = "channel_manager", _("Channel manager")

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    vendor_role = models.CharField(
        _("vendor role"), max_length=32, choices=VendorRole.choices, blank=True, default=""
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text=_("Escalations for this staff member's cases go to their manager."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("Whether the user can log into the Django admin site."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # Vendor staff are a handful among thousands of partner users: the directory's
            # account manager filter lists them by name.
            models.Index(
                fields=["full_name", "email"],
                condition=~models.Q(vendor_role=""),
                name="user_vendor_staff_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_vendor_staff(self) -> bool:
        return bool(self.vendor_role)

    @property
    def is_vendor_admin(self) -> bool:
        return self.vendor_role == self.VendorRole.ADMIN

    @property
    def is_channel_manager(self) -> bool:
        return self.vendor_role == self.VendorRole.CHANNEL_MANAGER


class ApiToken(models.Model):
    """A user's API token. Only a keyed digest of the secret is stored (see
    prm.accounts.tokens); the secret itself is shown once, when the token is created."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_token",
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    created = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


# What the apps above this one read with a user looked up by id: name -> a function giving an
# expression over the user row (`read_with_user`).
_READ_WITH_USER: dict[str, Callable[[], Any]] = {}


def read_with_user(**expressions: Callable[[], Any]) -> None:
    """Have every lookup of a user by id (`User.objects.get(pk=...)`, which the authentication
    backend asks on every signed-in request) also read each of `expressions`: a function giving
    an expression over the user row (its subqueries refer to it as OuterRef("pk")), whose
    value is set on the user under its name, as an annotation would be. An app above this one
    declares at start-up (AppConfig.ready) what each request of its users would otherwise read
    in a query of its own; the values are those of the moment the user was read."""
    _READ_WITH_USER.update(expressions)


def _user_by_pk(user: int):
    return (
        User._default_manager.get_queryset()
        .filter(pk=user)
        .annotate(**{name: expression() for name, expression in _READ_WITH_USER.items()})
        .order_by()
    )


_USER_BY_PK = PreparedQuery(_user_by_pk, "user", plan_once=True)
