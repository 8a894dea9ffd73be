"""Writes on users: creation, vendor roles, language preference, API tokens."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction
from rest_framework.authtoken.models import Token

from prm.core.events import event_record

from .models import User


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
def api_token_rotate(*, user: User) -> Token:
    """Replace the user's API token with a new one; the old one stops working at once."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    event_record(actor=user, verb="api_token.created", target=user)
    return token


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
    deleted, _ = Token.objects.filter(user=user).delete()
    if deleted:
        event_record(actor=user, verb="api_token.revoked", target=user)
