"""API tokens: 256 random bits, stored as an HMAC-SHA256 digest keyed by the secret key.

A database copy (a backup, a replica, a leaked dump) holds no usable token: the digest cannot
be turned back into the secret, and without DJANGO_SECRET_KEY it cannot even be checked
against a guess. A fast keyed digest is enough because the secret is random, not a password.
Changing DJANGO_SECRET_KEY therefore invalidates every API token.
"""

from __future__ import annotations

import secrets

from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .models import ApiToken

KEY_SALT = "prm.accounts.api_token"
PREFIX_LENGTH = 8


def token_digest(secret: str) -> str:
    return salted_hmac(KEY_SALT, secret, algorithm="sha256").hexdigest()


def token_secret_new() -> str:
    return secrets.token_hex(32)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <secret>`: the digest is looked up; expired tokens and inactive
    users are refused."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        digest = token_digest(key)
        token = ApiToken.objects.select_related("user").filter(digest=digest).first()
        if token is None or not constant_time_compare(token.digest, digest):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
