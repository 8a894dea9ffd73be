"""Reads of certificates, scoped to the user: a person's own, and for vendor staff those held by
the members of the partners they may see. Anything else answers 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from partners.models import Membership, Partner
from partners.selectors import partner_visible_queryset
from prm.core.access import VENDOR_ROLES

from .models import Certificate, Certification

# A certificate this close to its expiry is marked on the pages (the first reminder's lead).
EXPIRES_SOON_DAYS = 60


def _holders_of(partners: QuerySet[Partner]) -> QuerySet[Membership]:
    return Membership.objects.filter(partner__in=partners, is_active=True).values("user_id")


def certificate_visible_queryset(*, user, role) -> QuerySet[Certificate]:
    """The certificates `user`, acting as `role`, may open: their own; vendor staff also those of
    the active members of every partner they may see."""
    base = Certificate.objects.select_related("certification", "user")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    scope = Q(user=user)
    if role in VENDOR_ROLES:
        scope |= Q(user_id__in=_holders_of(partner_visible_queryset(user=user)))
    return base.filter(scope)


def certificate_get(*, user, role, pk: int) -> Certificate:
    try:
        return certificate_visible_queryset(user=user, role=role).get(pk=pk)
    except Certificate.DoesNotExist as exc:
        raise Http404 from exc


def certificate_list_for_user(*, user) -> list[Certificate]:
    """A person's own certificates, latest expiry first."""
    return list(
        Certificate.objects.filter(user=user)
        .select_related("certification")
        .order_by("-expires", "certification__code", "-earned")
    )


def certificate_list_for_partner(*, partner: Partner) -> QuerySet[Certificate]:
    """Every certificate (valid or not) held by the partner's active members."""
    return Certificate.objects.select_related("certification", "user").filter(
        user_id__in=_holders_of(Partner.objects.filter(pk=partner.pk))
    )


def certificate_is_valid(certificate: Certificate, on: dt.date) -> bool:
    return certificate.earned <= on < certificate.expires


@dataclass
class CertifiedGroup:
    certification: Certification
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.certificates)


def certified_people(*, partner: Partner, on: dt.date) -> list[CertifiedGroup]:
    """The partner's certified people on `on`, by certification (one query).

    As for the tier rule, a certificate counts only while it is valid (earned ≤ on < expires) and
    its holder is an active member of the partner: expired certificates and former members are
    left out. A person holding a certification twice (a renewal earned before the current one
    ends) is listed once, with the later expiry. Each certificate carries `days_left` and
    `expires_soon`."""
    rows = (
        Certificate.objects.filter(
            user__memberships__partner=partner,
            user__memberships__is_active=True,
            earned__lte=on,
            expires__gt=on,
        )
        .select_related("certification", "user")
        .order_by("certification__code", "user__full_name", "user__email", "-expires")
    )
    groups: dict[int, CertifiedGroup] = {}
    seen: set[tuple[int, int]] = set()
    for certificate in rows:
        key = (certificate.certification_id, certificate.user_id)
        if key in seen:
            continue
        seen.add(key)
        certificate.days_left = (certificate.expires - on).days
        certificate.expires_soon = certificate.days_left <= EXPIRES_SOON_DAYS
        group = groups.setdefault(
            certificate.certification_id, CertifiedGroup(certification=certificate.certification)
        )
        group.certificates.append(certificate)
    return list(groups.values())
