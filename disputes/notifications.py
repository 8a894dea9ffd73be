"""Emails about cases: one per recipient, in the recipient's language, after commit.

Message bodies are never included: a reader follows the link and sees what the case page lets
them see, so an internal note cannot leak through email.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from partners.models import Membership
from prm.notifications.models import Category
from prm.notifications.services import notify


def case_email(*, users: Iterable[Any], template: str, context: dict[str, Any]) -> None:
    """Notify each user with `disputes/email/<template>_subject.txt` and `_body.txt`: in the
    portal, and by email or digest as they chose for cases."""
    case = context["case"]
    notify(
        users=users,
        category=Category.CASES,
        template=f"disputes/email/{template}",
        context=context,
        url=context.get("url", ""),
        partner=case.partner,
    )


def partner_users(partners: Iterable[Any], *, raised_by_id: int | None = None) -> list[Any]:
    """Active admin and finance users of the partners (the people who follow cases), and the
    partner user who raised the case whatever their role: a sales user follows their own."""
    ids = [p.pk for p in partners if p is not None]
    followers = Q(role__in=["admin", "finance"])
    if raised_by_id is not None:
        followers |= Q(user_id=raised_by_id)
    return [
        m.user
        for m in Membership.objects.filter(followers, partner_id__in=ids, is_active=True)
        .select_related("user")
        .order_by("pk")
    ]
