"""Emails about partners, deals and targets: one message per recipient, in their language, sent
once the surrounding transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from prm.core import mail
from prm.notifications.services import notify

from .models import Membership, Partner


def email_users(
    *,
    users: Iterable[Any],
    template: str,
    context: dict[str, Any],
    category: str,
    url: str = "",
    partner: Partner | None = None,
    channels: bool = True,
) -> None:
    """Notify each user with `partners/email/<template>_subject.txt` and `_body.txt`: in the
    portal, and by email or digest as they chose for the category."""
    notify(
        users=users,
        category=category,
        template=f"partners/email/{template}",
        context=context,
        url=url,
        partner=partner,
        channels=channels,
    )


def email_address(*, email: str, language: str, template: str, context: dict[str, Any]) -> None:
    """Queue a message to someone who may have no account yet (an invitation)."""
    mail.email_address(
        email=email, language=language, template=f"partners/email/{template}", context=context
    )


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
