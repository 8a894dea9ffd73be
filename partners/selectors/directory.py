"""Reads of partners, scoped to what the requesting user may see. The access rule lives here."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.http import Http404
from django.utils import timezone

from prm.core.models import Event
from prm.core.prepared import (
    PreparedCounts,
    PreparedIdsQuery,
    PreparedPages,
    PreparedQuery,
    counted,
)
from prm.core.tally import tally_counted

from ..models import (
    FLAGGED_Q,
    DealRegistration,
    Invitation,
    Membership,
    Milestone,
    Partner,
    PartnerAward,
    PartnerGrantTotal,
    RiskAssessment,
    RiskRating,
    Territory,
    Tier,
)
from ..permissions import (
    VIEW_ALL_PARTNERS,
    managed_partner_ids,
    managed_partner_ids_query,
    managed_partner_total,
    managed_partners,
    managed_scope,
    manages_every_partner,
    may_view_all_partners,
    partner_scope_shape,
    partner_total,
)
from .events import event_list
from .targets import Scorecard, partner_attainment_annotate, sales_available, target_scorecard


def partner_visible_queryset(*, user, current_partner: Partner | None = None) -> QuerySet[Partner]:
    """Every partner `user` may see: all for vendor admins (or "view all"), assigned partners for
    channel managers, the current organisation for partner users, nothing for anyone else."""
    base = Partner.objects.all()
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_vendor_admin or (user.is_channel_manager and may_view_all_partners(user)):
        return base
    if user.is_channel_manager:
        return managed_partners(user, base)
    if current_partner is not None:
        return _member_partner(partner=current_partner.pk, user=user.pk)
    return base.none()


def _member_partner(*, partner: int, user: int) -> QuerySet[Partner]:
    return Partner.objects.filter(pk=partner, memberships__user=user, memberships__is_active=True)


def partner_visible_ids(*, user, current_partner: Partner | None = None):
    """The ids of `partner_visible_queryset(user=..., current_partner=...)` for a `partner_id__in`
    lookup, or None when they are every partner (no condition needed). A channel manager's are
    the grants subquery itself, not a partner subquery wrapped around it."""
    if not user.is_authenticated or not user.is_active:
        return Partner.objects.none().values("pk")
    if user.is_vendor_admin or (user.is_channel_manager and may_view_all_partners(user)):
        return None
    if user.is_channel_manager:
        return managed_partner_ids(user)
    return partner_visible_queryset(user=user, current_partner=current_partner).values("pk")


# How queries compiled once (prm.core.prepared) scope partners: each kind of `partner_scope`,
# and the ids its subquery takes.
SCOPE_ALL, SCOPE_MANAGED, SCOPE_MANAGED_IN_GROUP, SCOPE_MEMBER = (
    "all",
    "managed",
    "managed in group",
    "member",
)
SCOPE_IDS: dict[str, tuple[str, ...]] = {
    SCOPE_ALL: (),
    SCOPE_MANAGED: ("user", "permission"),
    SCOPE_MANAGED_IN_GROUP: ("user", "permission"),
    SCOPE_MEMBER: ("partner", "user"),
}


def partner_scope(*, user, current_partner: Partner | None = None):
    """The partners of `partner_visible_queryset(user=..., current_partner=...)` as a prepared
    query takes them: (kind, ids), whose subquery is `scoped_partner_ids(kind, **ids)`; None
    when there are none. A channel manager (without groups) whose grants hold every partner
    has every partner's scope: the same rows, read without joining the grants (whether they
    hold every partner comes with the facts of the manager's scope, no query of its own)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_vendor_admin or (user.is_channel_manager and may_view_all_partners(user)):
        return SCOPE_ALL, {}
    if user.is_channel_manager:
        permission, in_group = managed_scope(user)
        if permission is None:
            return None
        if not in_group and manages_every_partner(user):
            return SCOPE_ALL, {}
        kind = SCOPE_MANAGED_IN_GROUP if in_group else SCOPE_MANAGED
        return kind, {"user": user.pk, "permission": permission}
    if current_partner is not None:
        return SCOPE_MEMBER, {"partner": current_partner.pk, "user": user.pk}
    return None


def scoped_partner_ids(kind: str, **ids: int) -> QuerySet | None:
    """The ids of the partners of a `partner_scope` (`kind` and its `ids`) for a
    `partner_id__in` lookup; None for every partner."""
    if kind == SCOPE_ALL:
        return None
    if kind == SCOPE_MEMBER:
        return _member_partner(partner=ids["partner"], user=ids["user"]).values("pk")
    return managed_partner_ids_query(
        user=ids["user"], permission=ids["permission"], in_group=kind == SCOPE_MANAGED_IN_GROUP
    )


def every_partner(partners) -> Exact:
    """Whether `partners` (ids for a `partner_id__in` lookup, each partner once) are every
    partner: the number of them against the number of partners, two counts the database reads
    from indexes, once per query."""
    if not isinstance(partners, QuerySet):
        partners = Partner.objects.filter(pk__in=partners)
    within = partners.order_by().annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    everyone = Partner.objects.order_by().annotate(
        n=Func(template="COUNT(*)", output_field=IntegerField())
    )
    return Exact(
        Subquery(within.values("n"), output_field=IntegerField()),
        Subquery(everyone.values("n"), output_field=IntegerField()),
    )


def every_partner_in_scope(kind: str, **ids: int) -> Exact:
    """Whether the partners of a `partner_scope` other than every partner (`kind` and its
    `ids`) are every partner. A channel manager's grants (without groups) are compared by
    their total, which the database keeps (PartnerGrantTotal), with the number of partners:
    two rows read; other scopes count their partners (`every_partner`)."""
    if kind != SCOPE_MANAGED:
        return every_partner(scoped_partner_ids(kind, **ids))
    granted = PartnerGrantTotal.objects.filter(user_id=ids["user"], permission_id=ids["permission"])
    everyone = PartnerGrantTotal.objects.filter(
        user_id=PartnerGrantTotal.EVERY_PARTNER, permission_id=PartnerGrantTotal.EVERY_PARTNER
    )
    # Never null: a missing total is no grant (-1) or no partner (-2).
    return Exact(
        Coalesce(Subquery(granted.values("total"), output_field=IntegerField()), -1),
        Coalesce(Subquery(everyone.values("total"), output_field=IntegerField()), -2),
    )


@functools.lru_cache(maxsize=8)
def scope_share(kind: str) -> Callable[..., dict[str, int]]:
    """What gives how many partners a `partner_scope` other than every partner holds and how
    many there are, `{"inside": ..., "partners": ...}`, for the scope's ids: for a channel
    manager's grants (without groups) the totals the database keeps (PartnerGrantTotal), two
    rows read; for other scopes the two counted, in one query compiled once."""
    if kind != SCOPE_MANAGED:
        return PreparedCounts(
            lambda **ids: {
                "inside": scoped_partner_ids(kind, **ids),
                "partners": Partner.objects.all(),
            },
            *SCOPE_IDS[kind],
        )
    every = PartnerGrantTotal.EVERY_PARTNER
    totals = PreparedQuery(
        lambda user, permission: PartnerGrantTotal.objects.filter(
            Q(user_id=user, permission_id=permission) | Q(user_id=every, permission_id=every)
        ).values_list("user_id", "total"),
        "user",
        "permission",
        plan_once=True,
    )

    def share(*, user: int, permission: int) -> dict[str, int]:
        found = dict(totals(user=user, permission=permission))
        return {"inside": found.get(user, 0), "partners": found.get(every, 0)}

    return share


class _UngroupedCase(Case):
    """A CASE beside aggregates whose other parts are uncorrelated subqueries (the same value
    for every row): nothing of it goes into the GROUP BY, so that a query of aggregates alone
    gives its one row even when no row matches."""

    def get_group_by_cols(self):
        return []


def reading_scope_shape(user) -> tuple:
    """The shape of the partner scope of `user` by which the rows they see are read:
    `partner_scope_shape`'s, except that a channel manager (without groups) whose grants hold
    every partner reads as every partner, without the grants, since those are the same rows
    (partners.permissions.manages_every_partner: the totals the database keeps, read with the
    user's permission facts)."""
    shape = partner_scope_shape(user)
    if shape[0] == "managed" and not shape[2] and manages_every_partner(user):
        return ("all",)
    return shape


def counted_in_scope(
    queryset: QuerySet, kind: str, *, tally: str | None = None, **ids: int
) -> QuerySet:
    """`counted()` of the rows of `queryset` (which have a `partner_id`) whose partner is in a
    `partner_scope` (`kind` and its `ids`). For a scope of the partners a channel manager
    manages, every row counts when those partners are every partner (`every_partner_in_scope`,
    tested once per query, before any row): the database then counts the rows alone, without
    a join to the manager's grants, and reads no row of the scope's; otherwise it counts the
    rows of the scope's partners with the plan it would make for them alone. `tally`, the name
    of a tally (prm.core.tally) of the rows of `queryset`, is read in place of counting them
    all."""
    partner_ids = scoped_partner_ids(kind, **ids)
    every_row = tally_counted(tally) if tally else counted(queryset)
    if partner_ids is None:
        return every_row
    if kind == SCOPE_MEMBER:
        return counted(queryset.filter(partner_id__in=partner_ids))
    every = every_partner_in_scope(kind, **ids)
    return (
        queryset.filter(~Q(every), partner_id__in=partner_ids)
        .order_by()
        .annotate(counted_group=Value(1))
        .values("counted_group")
        .annotate(
            counted_rows=_UngroupedCase(
                When(every, then=Subquery(every_row)),
                default=Count("*"),
                output_field=IntegerField(),
            )
        )
        .values_list("counted_rows")
    )


def unscoped_partner_ids(kind: str, **ids: int) -> QuerySet:
    """The ids of the partners outside a `partner_scope` other than every partner (`kind` and
    its `ids`), for a `partner_id__in` lookup: an anti-join on what `scoped_partner_ids` reads,
    which the database estimates from its statistics (a NOT IN of the scope it cannot)."""
    inside = scoped_partner_ids(kind, **ids)
    key = "pk" if inside.model is Partner else "content_object_id"
    return Partner.objects.filter(~Exists(inside.filter(**{key: OuterRef("pk")}))).values("pk")


def partner_choice_rows(*, user, limit: int = 500) -> list[tuple[str, str, str]]:
    """(code, name, local name) of the first `limit` partners `user` may see, by code: the
    choices of a partner select (`{% partner_options %}`)."""
    return list(
        partner_visible_queryset(user=user)
        .order_by("code")
        .values_list("code", "name", "local_name")[:limit]
    )


def partner_vendor_staff(*, partner: Partner) -> QuerySet:
    """Active vendor staff who can see `partner`: every vendor admin, and the channel managers
    assigned to it (the guardian grant, direct or through a group) or allowed to view all."""
    from guardian.shortcuts import get_users_with_perms

    user_model = get_user_model()
    assigned = get_users_with_perms(
        partner, only_with_perms_in=["manage_partner"], with_group_users=True
    ).values("pk")
    view_all = user_model.objects.with_perm(
        VIEW_ALL_PARTNERS, backend="django.contrib.auth.backends.ModelBackend"
    ).values("pk")
    return user_model.objects.filter(is_active=True).filter(
        Q(vendor_role=user_model.VendorRole.ADMIN)
        | Q(vendor_role=user_model.VendorRole.CHANNEL_MANAGER)
        & (Q(pk__in=assigned) | Q(pk__in=view_all))
    )


# Attainment bands offered by the directory's filter: key → (label key, lower %, upper %).
ATTAINMENT_BANDS: dict[str, tuple[int | None, int | None]] = {
    "below50": (None, 50),
    "50to100": (50, 100),
    "100plus": (100, None),
}
NO_ATTAINMENT = "none"

_STATUS_ORDER = Case(
    *[When(status=value, then=Value(index)) for index, value in enumerate(Partner.Status.values)],
    output_field=IntegerField(),
)
_RISK_ORDER = Case(
    *[When(risk_rating=value, then=Value(index)) for index, value in enumerate(RiskRating.values)],
    output_field=IntegerField(),
)

# Sortable columns of the directory: key → order expressions (ascending); ties go by code.
PARTNER_SORTS: dict[str, list[Any]] = {
    "code": ["code"],
    "name": ["name"],
    "tier": ["tier__rank"],
    "status": [_STATUS_ORDER],
    "account_manager": ["account_manager__full_name", "account_manager__email"],
    "risk": [_RISK_ORDER],
    "overdue": ["overdue_receivables"],
    "attainment": ["attainment"],
}


@dataclass(frozen=True)
class DirectoryColumn:
    """A column an app above partners adds to the directory (partners never imports it):
    `annotate(qs)` adds the value `key` to each partner in a constant number of queries, the
    column sorts by it, and `bands` ({value: (label, low, high)}, high excluded) are the choices
    of its filter. `cell_template` renders the cell with `partner` in the context; `cell`, when
    given, writes the same HTML from the partner (for the directory's rows, without a template
    per row)."""

    key: str
    label: Any
    annotate: Callable[[QuerySet[Partner]], QuerySet[Partner]]
    bands: dict[str, tuple[Any, int | None, int | None]]
    cell_template: str
    cell: Callable[[Partner], str] | None = None


DIRECTORY_COLUMNS: dict[str, DirectoryColumn] = {}


def register_directory_column(column: DirectoryColumn) -> None:
    DIRECTORY_COLUMNS[column.key] = column


def directory_sorts() -> set[str]:
    return {*PARTNER_SORTS, *DIRECTORY_COLUMNS}


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key not in directory_sorts():
        key, descending = "code", False
    terms = []
    for expression in PARTNER_SORTS.get(key, [key]):
        term = F(expression) if isinstance(expression, str) else expression
        terms.append(term.desc(nulls_last=True) if descending else term.asc(nulls_last=True))
    if key != "code":
        terms.append(F("code").asc())
    return terms


@dataclass(frozen=True)
class PartnerFilters:
    search: str = ""
    status: str = ""
    tier: str = ""
    territory: str = ""
    account_manager: str = ""
    risk_rating: str = ""
    attainment: str = ""
    flagged: bool = False
    sort: str = "code"
    # Registered columns' filters: (column key, band value).
    bands: tuple[tuple[str, str], ...] = ()


def partner_list(
    *, user, current_partner: Partner | None = None, filters: PartnerFilters | None = None, **kw
) -> QuerySet[Partner]:
    """The partner directory for `user`, filtered and sorted, with what the list shows joined
    in. Keyword arguments are the fields of PartnerFilters."""
    filters = filters or PartnerFilters(**kw)
    return _directory_queryset(
        partner_visible_queryset(user=user, current_partner=current_partner), filters
    )


def _directory_queryset(qs: QuerySet[Partner], filters: PartnerFilters) -> QuerySet[Partner]:
    """`qs` filtered and sorted by `filters`, with what the directory shows joined in."""
    if filters.search:
        qs = qs.filter(
            Q(code__icontains=filters.search)
            | Q(name__icontains=filters.search)
            | Q(local_name__icontains=filters.search)
            | Q(legal_name__icontains=filters.search)
        )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.tier:
        qs = qs.filter(tier__code=filters.tier)
    if filters.territory:
        # A country code covers its subdivisions: TW matches TW-TPE.
        in_territory = Partner.territories.through.objects.filter(
            partner_id=OuterRef("pk"),
        ).filter(
            Q(territory__code=filters.territory)
            | Q(territory__code__startswith=f"{filters.territory}-")
        )
        qs = qs.filter(Exists(in_territory))
    if filters.account_manager == "none":
        qs = qs.filter(account_manager__isnull=True)
    elif filters.account_manager.isdigit():
        qs = qs.filter(account_manager_id=int(filters.account_manager))
    if filters.risk_rating:
        qs = qs.filter(risk_rating=filters.risk_rating)
    if filters.flagged:
        qs = qs.filter(FLAGGED_Q)
    qs = partner_attainment_annotate(qs)
    if filters.attainment == NO_ATTAINMENT:
        qs = qs.filter(attainment__isnull=True)
    elif filters.attainment in ATTAINMENT_BANDS:
        low, high = ATTAINMENT_BANDS[filters.attainment]
        if low is not None:
            qs = qs.filter(attainment__gte=low)
        if high is not None:
            qs = qs.filter(attainment__lt=high)
    qs = _registered_columns(qs, dict(filters.bands))
    active_members = (
        Membership.objects.filter(partner=OuterRef("pk"), is_active=True)
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("tier", "account_manager")
        .annotate(member_count=Coalesce(Subquery(active_members), Value(0)))
        .order_by(*_ordering(filters.sort))
    )


def _scoped(kind: str, **ids: int) -> QuerySet[Partner]:
    partner_ids = scoped_partner_ids(kind, **ids)
    if partner_ids is None:
        return Partner.objects.all()
    return Partner.objects.filter(pk__in=partner_ids)


# The columns of the directory's rows (`partner_tags.partner_rows`); registered columns read
# their annotations. Their tier's names and account manager's name and email are attributes of
# their own (DIRECTORY_ROW_RELATED), not related objects.
DIRECTORY_ROW_FIELDS = (
    "code",
    "name",
    "local_name",
    "legal_name",
    "currency",
    "status",
    "credit_limit",
    "overdue_receivables",
    "risk_rating",
    "tier",
    "account_manager",
)
DIRECTORY_ROW_RELATED = {
    "tier_name": F("tier__name"),
    "tier_local_name": F("tier__local_name"),
    "account_manager_full_name": F("account_manager__full_name"),
    "account_manager_email": F("account_manager__email"),
}


@functools.lru_cache(maxsize=64)
def _directory_queries(
    filters: PartnerFilters, scope: str, day: dt.date, with_sales: bool
) -> tuple[PreparedQuery, PreparedQuery]:
    """The directory's rows and their count for `filters` and the partners of `scope` (a kind
    of `partner_scope`), compiled once per `day` (the attainment and health columns read the
    current month and quarter) and per availability of sales (`with_sales`, which the
    attainment column reads)."""

    def matching(**ids: int) -> QuerySet[Partner]:
        return _directory_queryset(_scoped(scope, **ids), filters).select_related(None)

    def rows(**ids: int) -> QuerySet[Partner]:
        return matching(**ids).only(*DIRECTORY_ROW_FIELDS).annotate(**DIRECTORY_ROW_RELATED)

    def count(**ids: int) -> QuerySet:
        # Without the rows' tier and account manager columns, whose joins a count does not need.
        return counted(matching(**ids))

    names = SCOPE_IDS[scope]
    # The unfiltered directory, in any order, is planned once per database connection; a
    # filtered one each time (a search is anything typed, and the filters combine into more
    # statements than a connection should keep).
    plan_once = not _narrows(filters)
    return (
        PreparedQuery(rows, *names, plan_once=plan_once),
        PreparedQuery(count, *names, plan_once=plan_once),
    )


def _narrows(filters: PartnerFilters) -> bool:
    """Whether `filters` may leave out any partner (a sort does not)."""
    unsorted = replace(filters, sort=PartnerFilters.sort, bands=())
    return unsorted != PartnerFilters() or any(value for _key, value in filters.bands)


def partner_directory(*, user, filters: PartnerFilters) -> PreparedPages | list[Partner]:
    """The partner directory for vendor staff, as `partner_list(user=user, filters=filters)`
    lists it, for a Paginator: its SQL is compiled once per set of filters, a page's partners
    come with the columns of the directory's rows (DIRECTORY_ROW_FIELDS and
    DIRECTORY_ROW_RELATED) and their territory codes (`territory_codes`)."""
    scope = partner_scope(user=user)
    if scope is None:
        return []
    kind, ids = scope
    rows, count = _directory_queries(filters, kind, timezone.localdate(), sales_available())
    if kind in (SCOPE_ALL, SCOPE_MANAGED) and not _narrows(filters):
        count = _unfiltered_count(user, kind)
    return PreparedPages(rows, count, ids, _add_territory_codes)


# The number of partners, as PartnerGrantTotal keeps it: one row read.
_PARTNER_TOTAL = PreparedQuery(
    lambda: PartnerGrantTotal.objects.filter(
        user_id=PartnerGrantTotal.EVERY_PARTNER, permission_id=PartnerGrantTotal.EVERY_PARTNER
    ).values_list("total"),
    plan_once=True,
)


def _unfiltered_count(user, kind: str) -> int:
    """How many partners the unfiltered directory of `user` lists, for a scope of every
    partner or of a channel manager's own grants (`kind`), from the totals the database keeps
    (PartnerGrantTotal) rather than counted: every partner's total, one row read, or for a
    channel manager read with the facts of their scope; or the manager's grant total (one grant
    per partner, guardian's unique constraint, each a partner, a foreign key), read with the
    same facts."""
    if kind == SCOPE_MANAGED:
        return managed_partner_total(user)
    if user.is_channel_manager and not user.is_superuser:
        return partner_total(user)
    rows = _PARTNER_TOTAL()
    return rows[0][0] if rows else 0


# The directory's page size: a page's territories are read in one query.
DIRECTORY_PAGE_SIZE = 25
_TERRITORY_CODES = PreparedIdsQuery(
    lambda ids: (
        Partner.territories.through.objects.filter(partner_id__in=ids)
        .order_by("territory__code")
        .values_list("partner_id", "territory__code")
    ),
    DIRECTORY_PAGE_SIZE,
    plan_once=True,
)


def _add_territory_codes(partners: list[Partner]) -> None:
    """Set `territory_codes` on each of `partners`: the codes of its territories, in order."""
    codes: dict[int, list[str]] = {partner.pk: [] for partner in partners}
    if not codes:
        return
    for partner_id, code in _TERRITORY_CODES(list(codes)):
        codes[partner_id].append(code)
    for partner in partners:
        partner.territory_codes = codes[partner.pk]


def _registered_columns(qs: QuerySet[Partner], bands: dict[str, str]) -> QuerySet[Partner]:
    for key, column in DIRECTORY_COLUMNS.items():
        qs = column.annotate(qs)
        band = column.bands.get(bands.get(key, ""))
        if band is not None:
            _label, low, high = band
            if low is None and high is None:
                qs = qs.filter(**{f"{key}__isnull": True})
            if low is not None:
                qs = qs.filter(**{f"{key}__gte": low})
            if high is not None:
                qs = qs.filter(**{f"{key}__lt": high})
    return qs


def partner_get(*, user, code: str, current_partner: Partner | None = None) -> Partner:
    """One partner by code, or 404 when it does not exist or is outside the user's reach."""
    qs = partner_visible_queryset(user=user, current_partner=current_partner)
    try:
        return qs.select_related("tier", "account_manager").get(code=code)
    except Partner.DoesNotExist as exc:
        raise Http404 from exc


@dataclass
class PartnerFilterOptions:
    """The choices of the directory's filters: tiers and territories with their codes and
    names, vendor staff with their names and emails."""

    tiers: list[Tier]
    territories: list[Territory]
    account_managers: list[Any]


def partner_filter_options() -> PartnerFilterOptions:
    """Choices for the directory's filters (three queries, whatever the number of partners)."""
    return PartnerFilterOptions(
        tiers=_TIERS(), territories=_TERRITORIES(), account_managers=_ACCOUNT_MANAGERS()
    )


def _account_managers() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(vendor_role__in=["admin", "channel_manager"], is_active=True)
        .only("pk", "email", "full_name")
        .order_by("full_name", "email")
    )


# Read by every render of the directory: compiled once, planned once per database connection,
# with the fields the filters' choices show.
_TIERS = PreparedQuery(
    lambda: Tier.objects.only("code", "name", "local_name").order_by("rank", "code"),
    plan_once=True,
)
_TERRITORIES = PreparedQuery(
    lambda: Territory.objects.only("code", "name", "local_name").order_by("code"),
    plan_once=True,
)
_ACCOUNT_MANAGERS = PreparedQuery(_account_managers, plan_once=True)


@dataclass
class PartnerOverview:
    """What the partner's 360° page shows, loaded in a fixed number of queries."""

    partner: Partner
    members: list[Membership]
    invitations: list[Invitation]
    scorecard: Scorecard
    open_deals: list[DealRegistration]
    open_deal_count_capped: bool
    events: list[Event]
    awards: list[PartnerAward]
    risk_history: list[RiskAssessment]
    milestones: list[Milestone]


OVERVIEW_DEALS = 10


def partner_overview(
    *, user, code: str, current_partner: Partner | None = None, role: str | None = None
) -> PartnerOverview:
    """The 360° view of one partner; 404 outside the user's reach."""
    qs = partner_visible_queryset(user=user, current_partner=current_partner)
    try:
        partner = (
            qs.select_related("tier", "account_manager")
            .prefetch_related("territories", "segments")
            .get(code=code)
        )
    except Partner.DoesNotExist as exc:
        raise Http404 from exc
    open_deals = list(
        DealRegistration.objects.filter(
            partner=partner,
            status__in=[DealRegistration.Status.PENDING, DealRegistration.Status.APPROVED],
        )
        .select_related("territory")
        .prefetch_related("product_lines")
        .order_by("-created_at", "-id")[: OVERVIEW_DEALS + 1]
    )
    return PartnerOverview(
        partner=partner,
        members=list(membership_list_for_partner(partner=partner)),
        invitations=invitation_list_pending(partner=partner),
        scorecard=target_scorecard(partner=partner, limit=6),
        open_deals=open_deals[:OVERVIEW_DEALS],
        open_deal_count_capped=len(open_deals) > OVERVIEW_DEALS,
        events=event_list(user=user, role=role, partner=partner, limit=15),
        awards=list(partner.awards.select_related("award").order_by("-awarded_on", "-id")),
        risk_history=list(partner.risk_assessments.select_related("assessed_by")[:10]),
        milestones=list(partner.milestones.order_by("-achieved_on", "-id")),
    )


def invitation_list_pending(*, partner: Partner) -> list[Invitation]:
    return list(
        partner.invitations.filter(
            status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
        ).order_by("email")
    )


def _memberships_of(user: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user_id=user, is_active=True, partner__status__in=_LOGIN_STATUSES)
        .select_related("partner")
        .order_by("partner__code")
    )


# Read on every request of a partner user (partners.middleware): compiled once.
_MEMBERSHIPS_OF = PreparedQuery(_memberships_of, "user", plan_once=True)


def membership_list_for_user(*, user) -> list[Membership]:
    """The user's active memberships with their partners, for the partner switcher and the
    request's current organisation."""
    if not user.is_authenticated:
        return []
    return _MEMBERSHIPS_OF(user=user.pk)


def membership_list_for_partner(*, partner: Partner) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(partner=partner)
        .select_related("user")
        .order_by("role", "user__email")
    )


def membership_get(*, partner: Partner, pk: int) -> Membership:
    try:
        return Membership.objects.select_related("user", "partner").get(pk=pk, partner=partner)
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


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


def partner_flagged_list(*, partners: QuerySet[Partner], limit: int = 8) -> list[Partner]:
    """Partners over their credit limit or rated high risk, highest exposure first."""
    return list(partners.filter(FLAGGED_Q).order_by("-overdue_receivables", "code")[:limit])
