"""Reads of deal registrations, scoped through the partners the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from ..models import DealConflict, DealRegistration, Partner
from .directory import partner_visible_ids

DEAL_SORTS = {
    "created": ["created_at", "id"],
    "customer": ["customer_name", "id"],
    "value": ["estimated_value", "id"],
    "close": ["expected_close", "id"],
    "protected": ["protected_until", "id"],
}


def product_line_queryset() -> QuerySet:
    """The product lines a deal can name. The catalogue belongs to the agreements app, above this
    one: the deal's relation names it, so nothing here imports it."""
    model = DealRegistration._meta.get_field("product_lines").related_model
    return model.objects.order_by("code")


def deal_visible_queryset(*, user, current_partner: Partner | None = None) -> QuerySet:
    """Registrations of the partners `user` may see (their own organisation's for partner
    users); every registration, with no condition, for those who see every partner."""
    partner_ids = partner_visible_ids(user=user, current_partner=current_partner)
    if partner_ids is None:
        return DealRegistration.objects.all()
    return DealRegistration.objects.filter(partner_id__in=partner_ids)


def deal_list(
    *,
    user,
    current_partner: Partner | None = None,
    search: str = "",
    status: str = "",
    conflict_only: bool = False,
    sort: str = "-created",
) -> QuerySet:
    """Registrations for the deal list, newest first unless sorted otherwise."""
    qs = deal_visible_queryset(user=user, current_partner=current_partner)
    if search:
        qs = qs.filter(
            Q(customer_name__icontains=search)
            | Q(customer_tax_id__icontains=search)
            | Q(customer_domain__icontains=search)
            | Q(partner__code__icontains=search)
            | Q(partner__name__icontains=search)
            | Q(partner__local_name__icontains=search)
        )
    if status:
        qs = qs.filter(status=status)
    if conflict_only:
        qs = qs.filter(has_conflict=True)
    key = sort.removeprefix("-")
    fields = DEAL_SORTS.get(key, DEAL_SORTS["created"])
    descending = sort.startswith("-") if key in DEAL_SORTS else True
    ordering = [f"-{name}" for name in fields] if descending else fields
    return (
        qs.select_related("partner", "territory", "registered_by")
        .prefetch_related("product_lines")
        .order_by(*ordering)
    )


def deal_get(*, user, pk: int, current_partner: Partner | None = None) -> DealRegistration:
    """One registration, or 404 outside the user's reach."""
    try:
        return (
            deal_visible_queryset(user=user, current_partner=current_partner)
            .select_related("partner", "territory", "registered_by", "decided_by")
            .prefetch_related("product_lines")
            .get(pk=pk)
        )
    except DealRegistration.DoesNotExist as exc:
        raise Http404 from exc


def deal_conflict_list(*, deal: DealRegistration) -> list[DealConflict]:
    """The registrations `deal` collides with. Templates show partner users only the other
    registration's status and dates, never its partner."""
    return list(deal.conflicts.select_related("other__partner").order_by("created_at", "id"))


def deal_pending_count(*, partners: QuerySet[Partner]) -> int:
    return DealRegistration.objects.filter(
        partner__in=partners, status=DealRegistration.Status.PENDING
    ).count()
