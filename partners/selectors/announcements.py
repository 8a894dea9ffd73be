"""Reads of announcements: a partner's feed (addressed to its current organisation, read and
acknowledged flags per row), unread counts for dashboards, and the vendor's list with
acknowledgement counts, scoped to the partners each vendor user may see."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.lookups import Exact, IsNull
from django.http import Http404

from prm.core.prepared import PreparedPages, PreparedQuery, counted

from ..models import Announcement, AnnouncementRead, AnnouncementRecipient, Membership, Partner
from .directory import (
    SCOPE_ALL,
    SCOPE_IDS,
    every_partner,
    every_partner_in_scope,
    partner_scope,
    partner_visible_ids,
    scoped_partner_ids,
)


def _addressed(*, user, partner: Partner | None) -> QuerySet[Announcement]:
    """Published announcements sent to `partner`, provided `user` is an active member of it."""
    if partner is None or not getattr(user, "is_authenticated", False):
        return Announcement.objects.none()
    return _addressed_to(user, partner)


def _addressed_to(user, partner) -> QuerySet[Announcement]:
    """`_addressed` for a user and a partner (instances or ids)."""
    receipt = AnnouncementRecipient.objects.filter(announcement=OuterRef("pk"), partner=partner)
    member = Membership.objects.filter(user=user, partner=partner, is_active=True)
    return Announcement.objects.filter(published_at__isnull=False).filter(
        Exists(receipt), Exists(member)
    )


def _unread(user) -> Exists:
    return ~Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user))


def announcement_feed(*, user, partner: Partner | None, category: str | None = None) -> QuerySet:
    """The announcements addressed to the user's current organisation, newest first, each with
    `is_read` (by this user), `is_acknowledged`, `acknowledged_at` (by the organisation) and
    `awaiting_acknowledgement`."""
    qs = _addressed(user=user, partner=partner)
    if partner is None or not getattr(user, "is_authenticated", False):
        return qs.filter(category=category) if category else qs
    return _feed(user, partner, category)


def _feed(user, partner, category: str | None) -> QuerySet:
    """`announcement_feed` for a user and a partner (instances or ids)."""
    qs = _addressed_to(user, partner)
    if category:
        qs = qs.filter(category=category)
    receipt = AnnouncementRecipient.objects.filter(announcement=OuterRef("pk"), partner=partner)
    acknowledged = receipt.filter(acknowledged_at__isnull=False)
    return qs.annotate(
        is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user)),
        is_acknowledged=Exists(acknowledged),
        acknowledged_at=Subquery(
            acknowledged.values("acknowledged_at")[:1], output_field=DateTimeField()
        ),
        awaiting_acknowledgement=Q(requires_acknowledgement=True) & ~Exists(acknowledged),
    ).order_by("-published_at", "-id")


# What an item of the feed shows.
_FEED_ITEM_FIELDS = (
    "title",
    "local_title",
    "body",
    "local_body",
    "category",
    "requires_acknowledgement",
    "acknowledge_by",
    "published_at",
)


def _received(user: int, partner: int) -> QuerySet[Announcement]:
    """`_addressed_to(user, partner)` joined to the partner's receipt of each announcement and
    to the user's read of it (a left join, `own_read`): one of each at most (their unique
    constraints), so each announcement once, with what the feed's flags read as columns of
    the row rather than subqueries run for each."""
    member = Membership.objects.filter(user=user, partner=partner, is_active=True)
    return (
        Announcement.objects.filter(published_at__isnull=False, recipients__partner=partner)
        .filter(Exists(member))
        .alias(own_read=FilteredRelation("reads", condition=Q(reads__user=user)))
    )


def _not_acknowledged() -> IsNull:
    """The partner's receipt (the row `_received` joins) is not acknowledged."""
    return IsNull(F("recipients__acknowledged_at"), True)


def _awaiting() -> ExpressionWrapper:
    """The announcement requires acknowledgement and the partner has not acknowledged it (the
    two conditions as expressions: no join of `_received` is made an outer one)."""
    return _as_condition(Q(Exact(F("requires_acknowledgement"), True), _not_acknowledged()))


def _feed_received(user: int, partner: int, category: str | None) -> QuerySet:
    """`_feed(user, partner, category)` read through `_received`."""
    qs = _received(user, partner)
    if category:
        qs = qs.filter(category=category)
    return qs.annotate(
        is_read=IsNull(F("own_read__id"), False),
        is_acknowledged=IsNull(F("recipients__acknowledged_at"), False),
        acknowledged_at=F("recipients__acknowledged_at"),
        awaiting_acknowledgement=_awaiting(),
    ).order_by("-published_at", "-id")


@functools.lru_cache(maxsize=16)
def _feed_queries(category: str) -> tuple[PreparedQuery, PreparedQuery]:
    """The feed's items in `category` (any when empty) and their count, compiled once."""
    return (
        PreparedQuery(
            lambda user, partner: _feed_received(user, partner, category).only(*_FEED_ITEM_FIELDS),
            "user",
            "partner",
            plan_once=True,
        ),
        PreparedQuery(
            lambda user, partner: counted(_feed_received(user, partner, category)),
            "user",
            "partner",
        ),
    )


def announcement_feed_pages(*, user, partner: Partner | None, category: str = ""):
    """`announcement_feed(user=user, partner=partner, category=category)` for a Paginator: its
    SQL compiled once per category (a PreparedPages), or the queryset itself when there is no
    feed to read."""
    if (
        partner is None
        or not getattr(user, "is_authenticated", False)
        or (category and category not in Announcement.Category.values)
    ):
        return announcement_feed(user=user, partner=partner, category=category or None)
    rows, count = _feed_queries(category)
    return PreparedPages(rows, count, {"user": user.pk, "partner": partner.pk})


def announcement_unread_count(*, user, partner: Partner | None) -> int:
    """Announcements addressed to the partner that this user has not opened."""
    return _addressed(user=user, partner=partner).filter(_unread(user)).count()


def announcement_unread_by_category(*, user, partner: Partner | None) -> dict[str, int]:
    """Unread announcements per category (every category listed, zero included)."""
    rows = (
        _addressed(user=user, partner=partner)
        .filter(_unread(user))
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )
    counts = dict(rows)
    return {value: counts.get(value, 0) for value in Announcement.Category.values}


def _feed_counts(user: int, partner: int) -> QuerySet:
    """Per category of the feed (`_received`): the announcements `user` has not opened, all
    of them, and those awaiting the partner's acknowledgement."""
    return (
        _received(user, partner)
        .order_by()
        .values("category")
        .annotate(
            unread=Count("pk", filter=IsNull(F("own_read__id"), True)),
            total=Count("pk"),
            awaiting=Count("pk", filter=_awaiting()),
        )
        .values_list("category", "unread", "total", "awaiting")
    )


def _awaiting_acknowledgement(partner: int) -> QuerySet:
    return (
        AnnouncementRecipient.objects.filter(
            partner=partner,
            acknowledged_at__isnull=True,
            announcement__requires_acknowledgement=True,
            announcement__published_at__isnull=False,
        )
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


# The feed page of every partner user asks these: compiled once.
_FEED_COUNTS = PreparedQuery(_feed_counts, "user", "partner", plan_once=True)
_AWAITING_ACKNOWLEDGEMENT = PreparedQuery(_awaiting_acknowledgement, "partner")


@dataclass(frozen=True)
class FeedCounts:
    """Per category (every category listed, zero included), the announcements of a user's feed
    they have not opened and all of them; and how many the organisation still has to
    acknowledge."""

    unread: dict[str, int]
    total: dict[str, int]
    awaiting: int


def announcement_feed_counts(*, user, partner: Partner | None) -> FeedCounts:
    """The counts of the feed of `user` in `partner` (a FeedCounts), in one query."""
    rows = (
        _FEED_COUNTS(user=user.pk, partner=partner.pk)
        if partner is not None and getattr(user, "is_authenticated", False)
        else []
    )
    found = {category: (unread, total) for category, unread, total, _awaiting in rows}
    values = Announcement.Category.values
    return FeedCounts(
        unread={value: found.get(value, (0, 0))[0] for value in values},
        total={value: found.get(value, (0, 0))[1] for value in values},
        awaiting=sum(row[3] for row in rows),
    )


def announcement_awaiting_acknowledgement_count(*, partner: Partner | None) -> int:
    """Published announcements the partner still has to acknowledge."""
    if partner is None:
        return 0
    rows = _AWAITING_ACKNOWLEDGEMENT(partner=partner.pk)
    return rows[0][0] if rows else 0


def announcement_get_for_partner(*, user, partner: Partner | None, pk: int) -> Announcement:
    """One announcement of the feed, or 404 when it is not addressed to the current partner."""
    try:
        return announcement_feed(user=user, partner=partner).select_related("author").get(pk=pk)
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc


def _vendor_partners(user):
    """None for vendor admins, else the ids of the partners the user may see (for a
    `partner_id__in` lookup; every partner's for a channel manager who may view all, who still
    sees only their own drafts)."""
    if user.is_vendor_admin:
        return None
    ids = partner_visible_ids(user=user)
    return Partner.objects.values("pk") if ids is None else ids


def _vendor_visible(user) -> QuerySet[Announcement]:
    if not getattr(user, "is_vendor_staff", False):
        return Announcement.objects.none()
    return _visible_to(user.pk, _vendor_partners(user))


def _visible_to(user: int, partners) -> QuerySet[Announcement]:
    """Every announcement when `partners` is None, else user `user`'s own and those published
    to any of `partners` (ids for a `partner_id__in` lookup)."""
    if partners is None:
        return Announcement.objects.all()
    return Announcement.objects.filter(_reached(user, partners))


def _reached(user: int, partners) -> Q:
    """User `user`'s announcements and those published to any of `partners`."""
    recipients = AnnouncementRecipient.objects.filter(
        announcement=OuterRef("pk"), partner_id__in=partners
    )
    return Q(author=user) | Q(Exists(recipients), published_at__isnull=False)


def _published_to_any(user: int) -> Q:
    """User `user`'s announcements and those published (to some partners, as every published
    announcement is)."""
    return Q(author=user) | Q(published_at__isnull=False, recipient_total__gt=0)


def _as_condition(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _counted(rows: QuerySet) -> Subquery:
    """How many of `rows` (a queryset correlated with the outer announcement) there are: one
    COUNT(*) without grouping, so 0 when there are none, read from an index alone where the
    conditions are its columns."""
    rows = rows.order_by().annotate(n=Func(template="COUNT(*)", output_field=IntegerField()))
    return Subquery(rows.values("n"), output_field=IntegerField())


def announcement_list_for_vendor(*, user, category: str | None = None) -> QuerySet:
    """Announcements vendor staff may see (a vendor admin: all; a channel manager: their own
    and those published to their partners), drafts first then newest, each with
    `recipient_count` and `acknowledged_count` among the partners the user may see (only
    announcements that require acknowledgement are acknowledged: 0 for the others)."""
    partners = _vendor_partners(user) if getattr(user, "is_vendor_staff", False) else None
    if partners is None:
        counts = _totals()
    else:
        # The totals when the partners are every partner, else counted among them.
        every = every_partner(partners)
        counts = tuple(
            Case(When(every, then=total), default=among)
            for total, among in zip(_totals(), _counts_among(partners), strict=True)
        )
    return _with_counts(_vendor_visible(user), category, *counts)


# What a row of the vendor list shows (no text).
_VENDOR_ROW_FIELDS = (
    "title",
    "local_title",
    "category",
    "audience",
    "requires_acknowledgement",
    "acknowledge_by",
    "published_at",
    "recipient_total",
    "acknowledged_total",
    "author__full_name",
    "author__email",
)


def _totals() -> tuple[F, F]:
    """An announcement's recipients and acknowledgements, as it keeps them."""
    return F("recipient_total"), F("acknowledged_total")


def _counts_among(partners) -> tuple[Subquery, Subquery]:
    """An announcement's recipients and acknowledgements among `partners` (ids for a
    `partner_id__in` lookup), counted."""
    recipients = AnnouncementRecipient.objects.filter(
        announcement=OuterRef("pk"), partner_id__in=partners
    )
    return _counted(recipients), _counted(recipients.filter(acknowledged_at__isnull=False))


def _with_counts(qs: QuerySet, category: str | None, recipients, acknowledged) -> QuerySet:
    """`qs` in `category` (any when None) as the vendor list shows it, with
    `recipient_count` and `acknowledged_count` from the expressions `recipients` and
    `acknowledged`."""
    if category:
        qs = qs.filter(category=category)
    return (
        qs.select_related("author")
        .only(*_VENDOR_ROW_FIELDS)
        .annotate(
            recipient_count=recipients,
            acknowledged_count=Case(
                When(requires_acknowledgement=True, then=acknowledged),
                default=Value(0),
            ),
            is_draft=Q(published_at__isnull=True),
        )
        .order_by(
            F("published_at").desc(nulls_first=True),
            "-id",
        )
    )


# How the vendor list of a vendor admin is compiled (every announcement, no ids).
_SCOPE_VENDOR_ADMIN = "vendor admin"


def _vendor_list_scope(user) -> tuple[str, dict[str, int]] | None:
    """The kind of `user`'s vendor list and the ids its prepared queries take, or None when
    it is built for the request (not vendor staff, or no partner scope to compile, as for a
    channel manager when the manage-partner permission does not exist)."""
    if not getattr(user, "is_vendor_staff", False):
        return None
    if user.is_vendor_admin:
        return _SCOPE_VENDOR_ADMIN, {}
    scope = partner_scope(user=user)
    if scope is None:
        return None
    kind, ids = scope
    return (kind, {"user": user.pk}) if kind == SCOPE_ALL else (kind, ids)


@dataclass(frozen=True)
class _VendorListQueries:
    """The vendor list's count and its rows with the announcements' totals; for a channel
    manager who sees some partners, the rows counted among them too, and the count says
    whether those partners are every partner (so that the totals hold)."""

    count: PreparedQuery
    rows: PreparedQuery
    rows_among: PreparedQuery | None = None


@functools.lru_cache(maxsize=64)
def _vendor_list_queries(kind: str, category: str) -> _VendorListQueries:
    """The vendor list's queries for a `_vendor_list_scope` kind and `category` (any when
    empty), compiled once (and prepared on the server)."""

    def in_category(qs: QuerySet[Announcement]) -> QuerySet[Announcement]:
        return qs.filter(category=category) if category else qs

    def rows(**ids: int) -> QuerySet[Announcement]:
        """Reaching every partner, the announcements published to any of them are those
        published (to some partners): no recipient is looked up."""
        user = ids.get("user")
        qs = (
            Announcement.objects.all()
            if user is None
            else Announcement.objects.filter(_published_to_any(user))
        )
        return _with_counts(qs, category, *_totals())

    if kind in (_SCOPE_VENDOR_ADMIN, SCOPE_ALL):
        # A channel manager who sees every partner still sees only their own drafts.
        names = () if kind == _SCOPE_VENDOR_ADMIN else ("user",)

        def every_count(**ids: int) -> QuerySet:
            user = ids.get("user")
            qs = (
                Announcement.objects.all()
                if user is None
                else Announcement.objects.filter(_published_to_any(user))
            )
            return counted(in_category(qs))

        return _VendorListQueries(
            count=PreparedQuery(every_count, *names, plan_once=True),
            rows=PreparedQuery(rows, *names, plan_once=True),
        )

    def count(**ids: int) -> QuerySet:
        """How many announcements the manager sees if their partners are every partner, and
        how many they see among their partners, or None when they are every partner (then no
        recipient is looked up)."""
        partners, user = scoped_partner_ids(kind, **ids), ids["user"]
        among = Case(
            When(every_partner_in_scope(kind, **ids), then=Value(None)),
            default=Case(When(_reached(user, partners), then=Value(1)), default=Value(0)),
            output_field=IntegerField(),
        )
        qs = Announcement.objects.filter(Q(author=user) | Q(published_at__isnull=False))
        return (
            in_category(qs)
            .order_by()
            .annotate(counted_group=Value(1))
            .values("counted_group")
            .annotate(
                counted_rows=Count("pk", filter=_published_to_any(user)),
                counted_among=Sum(among),
            )
            .values_list("counted_rows", "counted_among")
        )

    def rows_among(**ids: int) -> QuerySet[Announcement]:
        partners = scoped_partner_ids(kind, **ids)
        visible_rows = _visible_to(ids["user"], partners)
        return _with_counts(visible_rows, category, *_counts_among(partners))

    names = SCOPE_IDS[kind]
    return _VendorListQueries(
        count=PreparedQuery(count, *names, plan_once=True),
        rows=PreparedQuery(rows, "user", plan_once=True),
        rows_among=PreparedQuery(rows_among, *names, plan_once=True),
    )


class _VendorPages(PreparedPages):
    """The vendor list's pages for a channel manager who sees some partners: the rows with the
    announcements' totals when those partners are every partner (the count says), else the
    rows counted among them."""

    def __init__(self, queries: _VendorListQueries, ids: dict[str, int]) -> None:
        super().__init__(queries.rows, queries.count, ids)
        self._among = queries.rows_among
        self._every_partner: bool | None = None

    def count(self) -> int:
        number, among = self._count(**self._ids)[0]
        self._every_partner = among is None
        return number if among is None else among

    def __getitem__(self, window: slice) -> list:
        if self._every_partner is None:
            self.count()
        if not self._every_partner:
            self._rows = self._among
        return super().__getitem__(window)


def announcement_pages_for_vendor(*, user, category: str = ""):
    """`announcement_list_for_vendor(user=user, category=category)` for a Paginator: its SQL
    compiled once per kind of user and category (a PreparedPages), or the queryset itself
    when it is built for the request."""
    scope = _vendor_list_scope(user)
    if scope is None or (category and category not in Announcement.Category.values):
        return announcement_list_for_vendor(user=user, category=category or None)
    kind, ids = scope
    queries = _vendor_list_queries(kind, category)
    if queries.rows_among is None:
        return PreparedPages(queries.rows, queries.count, ids)
    return _VendorPages(queries, ids)


def announcement_get_for_vendor(*, user, pk: int) -> Announcement:
    """One announcement for vendor staff, or 404: a channel manager reaches their own drafts
    and announcements published to their partners."""
    try:
        return (
            _vendor_visible(user)
            .select_related("author")
            .prefetch_related("tiers", "territories", "partners")
            .get(pk=pk)
        )
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc


def announcement_recipient_list(*, user, announcement: Announcement) -> list:
    """Who received it among the partners `user` may see: partner, who acknowledged and when,
    last reminder; acknowledged ones last so those to chase come first."""
    rows = AnnouncementRecipient.objects.filter(announcement=announcement)
    partners = _vendor_partners(user)
    if partners is not None:
        rows = rows.filter(partner_id__in=partners)
    return list(
        rows.select_related("partner", "acknowledged_by").order_by(
            F("acknowledged_at").asc(nulls_first=True), "partner__code"
        )
    )
