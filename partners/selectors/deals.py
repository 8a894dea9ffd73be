"""Reads of deal registrations, scoped through the partners the user may see."""

from __future__ import annotations

import functools

from django.db.models import F, Q, QuerySet
from django.http import Http404

from prm.core.prepared import PreparedIdsQuery, PreparedPages, PreparedQuery

from ..models import DealConflict, DealRegistration, Partner
from .directory import (
    SCOPE_IDS,
    counted_in_scope,
    partner_scope,
    partner_visible_ids,
    scoped_partner_ids,
)

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
    return _deal_queryset(
        deal_visible_queryset(user=user, current_partner=current_partner),
        search=search,
        status=status,
        conflict_only=conflict_only,
        sort=sort,
    )


def _deal_queryset(
    qs: QuerySet, *, search: str, status: str, conflict_only: bool, sort: str
) -> QuerySet:
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


# The columns of the deal list's rows; their partner's and territory's as DEAL_ROW_RELATED.
DEAL_ROW_FIELDS = (
    "id",
    "created_at",
    "partner",
    "customer_name",
    "customer_tax_id",
    "customer_domain",
    "estimated_value",
    "currency",
    "expected_close",
    "status",
    "has_conflict",
    "protected_until",
)
DEAL_ROW_RELATED = {
    "partner_code": F("partner__code"),
    "partner_name": F("partner__name"),
    "partner_local_name": F("partner__local_name"),
    "territory_code": F("territory__code"),
}


@functools.lru_cache(maxsize=64)
def _deal_page_queries(
    scope: str, search: str, status: str, conflict_only: bool, sort: str
) -> tuple[PreparedQuery, PreparedQuery]:
    """The deal list's rows and their count for the partners of `scope` (a kind of
    `partner_scope`) and the filters, compiled once."""

    def filtered() -> QuerySet:
        return _deal_queryset(
            DealRegistration.objects.all(),
            search=search,
            status=status,
            conflict_only=conflict_only,
            sort=sort,
        ).select_related(None)

    def rows(**ids: int) -> QuerySet:
        partner_ids = scoped_partner_ids(scope, **ids)
        qs = filtered()
        if partner_ids is not None:
            qs = qs.filter(partner_id__in=partner_ids)
        return qs.only(*DEAL_ROW_FIELDS).annotate(**DEAL_ROW_RELATED)

    # Every registration, or the pending ones, are counted by their tallies.
    tally = None
    if not (search or conflict_only):
        tally = {
            "": DealRegistration.ALL_TALLY,
            DealRegistration.Status.PENDING: DealRegistration.PENDING_TALLY,
        }.get(status)

    def count(**ids: int) -> QuerySet:
        # Without the rows' partner and territory columns, whose joins a count does not need;
        # a channel manager granted every partner has the deals counted without the grants.
        return counted_in_scope(filtered(), scope, tally=tally, **ids)

    names = SCOPE_IDS[scope]
    # Planned once per database connection, but for a search: its text is anything typed, each
    # a statement the connection would keep.
    plan_once = not search
    return (
        PreparedQuery(rows, *names, plan_once=plan_once),
        PreparedQuery(count, *names, plan_once=plan_once),
    )


def deal_list_pages(
    *,
    user,
    current_partner: Partner | None = None,
    search: str = "",
    status: str = "",
    conflict_only: bool = False,
    sort: str = "-created",
) -> PreparedPages | list[DealRegistration]:
    """The registrations of `deal_list(...)` for a Paginator, with the columns of the list's
    rows (DEAL_ROW_FIELDS), their partner's code and names and their territory's code as
    attributes of their own (DEAL_ROW_RELATED, not related objects) and, on each page, the codes
    of their product lines (`product_line_codes`): their SQL is compiled once per set of
    filters."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return []
    kind, ids = scope
    rows, count = _deal_page_queries(kind, search, status, conflict_only, sort)
    return PreparedPages(rows, count, ids, _add_product_line_codes)


# The deal list's page size: a page's product lines are read in one query.
DEAL_PAGE_SIZE = 25
_PRODUCT_LINE_CODES = PreparedIdsQuery(
    lambda ids: (
        DealRegistration.product_lines.through.objects.filter(dealregistration_id__in=ids)
        .order_by("productline__code")
        .values_list("dealregistration_id", "productline__code")
    ),
    DEAL_PAGE_SIZE,
    plan_once=True,
)


def _add_product_line_codes(deals: list[DealRegistration]) -> None:
    """Set `product_line_codes` on each of `deals`: the codes of its product lines, in order."""
    codes: dict[int, list[str]] = {deal.pk: [] for deal in deals}
    if not codes:
        return
    for deal_id, code in _PRODUCT_LINE_CODES(list(codes)):
        codes[deal_id].append(code)
    for deal in deals:
        deal.product_line_codes = codes[deal.pk]


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
