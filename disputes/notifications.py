"""Emails about cases: one per recipient, in the recipient's language, after commit.

Message bodies are never included: a reader follows the link and sees what the case page lets
them see, so an internal note cannot leak through email.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from partners.models import Membership


def case_email(*, users: Iterable[Any], template: str, context: dict[str, Any]) -> None:
    """Queue `disputes/email/<template>_subject.txt` and `_body.txt` to each user after commit."""
    recipients: dict[str, str] = {}
    for user in users:
        if user is not None and user.is_active and user.email:
            recipients.setdefault(user.email, user.language or "en")
    if recipients:
        transaction.on_commit(lambda: _send(recipients, template, context))


def _send(recipients: dict[str, str], template: str, context: dict[str, Any]) -> None:
    for email, language in recipients.items():
        with translation.override(language):
            subject = render_to_string(f"disputes/email/{template}_subject.txt", context)
            body = render_to_string(f"disputes/email/{template}_body.txt", context)
        send_mail(" ".join(subject.split()), body, None, [email])


def partner_users(partners: Iterable[Any]) -> list[Any]:
    """Active admin and finance users of the partners (the people who follow cases)."""
    ids = [p.pk for p in partners if p is not None]
    return [
        m.user
        for m in Membership.objects.filter(
            partner_id__in=ids, is_active=True, role__in=["admin", "finance"]
        ).select_related("user")
    ]
