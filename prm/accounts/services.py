"""Writes on users: creation, vendor roles, language preference, API tokens."""

from __future__ import annotations

import datetime
import logging

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from prm.core.events import event_record

from .models import ApiToken, User
from .tokens import PREFIX_LENGTH, token_digest, token_secret_new

security_log = logging.getLogger("prm.security")


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str | None,
    full_name: str = "",
    vendor_role: str = "",
    language: str = "",
    email_verified: bool = False,
) -> User:
    """Create a user; vendor admins get Django admin access. The email address is registered
    with allauth, verified only when the caller vouches for it (invitations, seeding)."""
    user = User(
        email=User.objects.normalize_email(email).lower(),
        full_name=full_name,
        vendor_role=vendor_role,
        language=language,
        is_staff=vendor_role == User.VendorRole.ADMIN,
        is_superuser=vendor_role == User.VendorRole.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=email_verified)
    return user


@transaction.atomic
def user_set_vendor_role(*, user: User, vendor_role: str, actor: User | None) -> User:
    before = {"vendor_role": user.vendor_role}
    user.vendor_role = vendor_role
    user.is_staff = vendor_role == User.VendorRole.ADMIN
    user.is_superuser = vendor_role == User.VendorRole.ADMIN
    user.full_clean()
    user.save(update_fields=["vendor_role", "is_staff", "is_superuser"])
    event_record(
        actor=actor,
        verb="user.vendor_role_changed",
        target=user,
        before=before,
        after={"vendor_role": vendor_role, "user": str(user)},
    )
    return user


def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def api_token_rotate(*, user: User) -> tuple[ApiToken, str]:
    """Replace the user's API token with a new one; the old one stops working at once.
    Returns the token and its secret, which is not stored and can be shown only now."""
    ApiToken.objects.filter(user=user).delete()
    secret = token_secret_new()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        digest=token_digest(secret),
        prefix=secret[:PREFIX_LENGTH],
        created=now,
        expires_at=now + datetime.timedelta(days=settings.PRM_API_TOKEN_DAYS),
    )
    event_record(actor=user, verb="api_token.created", target=user)
    security_log.info("API token created for user %s", user.pk)
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, actor: User | None, reason: str = "") -> None:
    """Delete the user's API token (by themselves, or because the password changed or the
    account was deactivated)."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    if deleted:
        event_record(
            actor=actor,
            verb="api_token.revoked",
            target=user,
            reason=reason,
        )
        security_log.info("API token revoked for user %s (%s)", user.pk, reason or "by the user")
