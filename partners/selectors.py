"""Reads of partners, scoped to what the requesting user may see. The access rule lives here."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Membership, Partner
from .permissions import VIEW_ALL_PARTNERS, managed_partners


def partner_visible_queryset(*, user, current_partner: Partner | None = None) -> QuerySet[Partner]:
    """Every partner `user` may see: all for vendor admins (or "view all"), assigned partners for
    channel managers, the current organisation for partner users, nothing for anyone else."""
    base = Partner.objects.all()
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_vendor_admin or (user.is_channel_manager and user.has_perm(VIEW_ALL_PARTNERS)):
        return base
    if user.is_channel_manager:
        return managed_partners(user, base)
    if current_partner is not None:
        return base.filter(
            pk=current_partner.pk, memberships__user=user, memberships__is_active=True
        )
    return base.none()


def partner_list(
    *, user, current_partner: Partner | None = None, search: str = "", status: str = ""
) -> QuerySet[Partner]:
    """The partner directory for `user`, with what the list shows joined in."""
    qs = partner_visible_queryset(user=user, current_partner=current_partner)
    if search:
        qs = qs.filter(
            Q(code__icontains=search)
            | Q(name__icontains=search)
            | Q(local_name__icontains=search)
            | Q(legal_name__icontains=search)
        )
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("tier", "account_manager")
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("code")
    )


def partner_get(*, user, code: str, current_partner: Partner | None = None) -> Partner:
    """One partner by code, or 404 when it does not exist or is outside the user's reach."""
    qs = partner_visible_queryset(user=user, current_partner=current_partner)
    try:
        return qs.select_related("tier", "account_manager").get(code=code)
    except Partner.DoesNotExist as exc:
        raise Http404 from exc


def membership_list_for_user(*, user) -> list[Membership]:
    """The user's active memberships, for the partner switcher."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, is_active=True, partner__status__in=_LOGIN_STATUSES)
        .select_related("partner")
        .order_by("partner__code")
    )


def membership_list_for_partner(*, partner: Partner) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(partner=partner)
        .select_related("user")
        .order_by("role", "user__email")
    )


# Partner users can sign in to organisations that are being onboarded or are live.
_LOGIN_STATUSES = [
    Partner.Status.PROSPECT,
    Partner.Status.ONBOARDING,
    Partner.Status.ACTIVE,
    Partner.Status.SUSPENDED,
]


def partner_status_counts(*, partners: QuerySet[Partner]) -> list[dict]:
    """Partner counts per status, every status listed (zero included), in lifecycle order."""
    counts = dict(
        partners.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Partner.Status.choices
    ]
