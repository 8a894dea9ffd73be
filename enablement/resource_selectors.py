"""Reads of the resource library, scoped to the reader: vendor staff see every resource; a
partner user those whose audience takes in their organisation's tier and territories, their
role and their language. Anything else answers 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from partners.models import Membership, Partner
from partners.selectors import partner_visible_queryset
from prm.core.access import VENDOR_ROLES, Role

from .resource_models import Resource, ResourceVersion

_ROLE_FLAG = {
    Role.PARTNER_ADMIN: "for_admin",
    Role.PARTNER_FINANCE: "for_finance",
    Role.PARTNER_SALES: "for_sales",
}
_Tiers = Resource.tiers.through
_Territories = Resource.territories.through


@dataclass(frozen=True)
class Reader:
    """Who reads the library: the user, the role they act in, the organisation they act for
    and the language they read."""

    user: object
    role: Role | None
    partner: Partner | None
    language: str

    @property
    def is_vendor(self) -> bool:
        return self.role in VENDOR_ROLES


def _audience(reader: Reader) -> Q:
    """The resources meant for a partner user: no tier or one of the partner's tier; no territory
    or one of the partner's territories (a country covers its subdivisions); their role; their
    language or every language."""
    partner = reader.partner
    codes = set(partner.territories.values_list("code", flat=True))
    codes |= {code.split("-", 1)[0] for code in codes}
    has_tiers = Exists(_Tiers.objects.filter(resource_id=OuterRef("pk")))
    has_territories = Exists(_Territories.objects.filter(resource_id=OuterRef("pk")))
    tier_match = Exists(_Tiers.objects.filter(resource_id=OuterRef("pk"), tier_id=partner.tier_id))
    territory_match = Exists(
        _Territories.objects.filter(resource_id=OuterRef("pk"), territory__code__in=codes)
    )
    return (
        (~has_tiers | tier_match)
        & (~has_territories | territory_match)
        & Q(**{_ROLE_FLAG[reader.role]: True})
        & (Q(language="") | Q(language=reader.language))
    )


def resource_visible_queryset(reader: Reader) -> QuerySet[Resource]:
    base = Resource.objects.filter(current_version__isnull=False)
    user = reader.user
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if reader.is_vendor:
        return base
    if reader.partner is None or reader.role not in _ROLE_FLAG:
        return base.none()
    return base.filter(_audience(reader))


def resource_list(
    reader: Reader, *, search: str = "", category: str = "", language: str | None = None
) -> QuerySet[Resource]:
    """The reader's resources, latest version first, matching a search of the titles and
    descriptions in either language, a category and a language ("" for every-language
    material)."""
    rows = resource_visible_queryset(reader).select_related("current_version")
    search = search.strip()
    if search:
        rows = rows.filter(
            Q(title__icontains=search)
            | Q(local_title__icontains=search)
            | Q(description__icontains=search)
            | Q(local_description__icontains=search)
        )
    if category:
        rows = rows.filter(category=category)
    if language is not None:
        rows = rows.filter(language=language)
    return rows.order_by("-updated_on", "-id")


def resource_get(reader: Reader, *, pk: int) -> Resource:
    try:
        return (
            resource_visible_queryset(reader)
            .select_related("current_version", "created_by")
            .get(pk=pk)
        )
    except Resource.DoesNotExist as exc:
        raise Http404 from exc


def resource_versions(resource: Resource) -> list[ResourceVersion]:
    """Every version, latest first."""
    return list(resource.versions.select_related("created_by").order_by("-number"))


def resource_version_get(resource: Resource, *, number: int) -> ResourceVersion:
    try:
        return resource.versions.get(number=number)
    except ResourceVersion.DoesNotExist as exc:
        raise Http404 from exc


def resource_downloads_by_partner(*, resource: Resource, user) -> list[Partner]:
    """The partners that downloaded any version, each with `downloads` and `readers` (distinct
    users), among the partners `user` may see; most downloads first."""
    return list(
        partner_visible_queryset(user=user)
        .filter(resource_downloads__version__resource=resource)
        .annotate(
            downloads=Count("resource_downloads"),
            readers=Count("resource_downloads__user", distinct=True),
        )
        .order_by("-downloads", "code")
    )


def resource_audience_roles(resource: Resource) -> list[str]:
    """The labels of the partner roles a resource is meant for."""
    flags = (
        (resource.for_admin, Membership.Role.ADMIN.label),
        (resource.for_finance, Membership.Role.FINANCE.label),
        (resource.for_sales, Membership.Role.SALES.label),
    )
    return [str(label) for on, label in flags if on]
