"""Emails about partners, deals and targets: one message per recipient, in their language, sent
once the surrounding transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import Membership, Partner


def email_users(*, users: Iterable[Any], template: str, context: dict[str, Any]) -> None:
    """Queue `partners/email/<template>_subject.txt` and `_body.txt` to each user after commit."""
    recipients: dict[str, str] = {}
    for user in users:
        if user is not None and user.is_active and user.email:
            recipients.setdefault(user.email, user.language or settings.LANGUAGE_CODE)
    if recipients:
        transaction.on_commit(lambda: _send(recipients, template, context))


def email_address(*, email: str, language: str, template: str, context: dict[str, Any]) -> None:
    """Queue a message to someone who may have no account yet (an invitation)."""
    transaction.on_commit(lambda: _send({email: language}, template, context))


def _send(recipients: dict[str, str], template: str, context: dict[str, Any]) -> None:
    for email, language in recipients.items():
        with translation.override(language):
            subject = render_to_string(f"partners/email/{template}_subject.txt", context)
            body = render_to_string(f"partners/email/{template}_body.txt", context)
        send_mail(" ".join(subject.split()), body, None, [email])


def partner_admins(partner: Partner) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(
            partner=partner, role=Membership.Role.ADMIN, is_active=True
        ).select_related("user")
    ]


def vendor_contacts(partner: Partner) -> list[Any]:
    """Who on the vendor side hears about the partner: its account manager, else vendor admins."""
    if partner.account_manager_id is not None:
        return [partner.account_manager]
    user_model = get_user_model()
    return list(user_model.objects.filter(vendor_role=user_model.VendorRole.ADMIN, is_active=True))
