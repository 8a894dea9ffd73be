"""Reads of the ideas and questions board, scoped to the reader, and the rule that shows an
author without naming it: "a Gold partner in TW-TPE" only when at least three active partners
share that tier and territory, "a Gold partner" when at least three share the tier, else "a
partner". Vendor staff see the organisation; a partner's own posts read "your organisation"."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField
from django.http import Http404
from django.utils.translation import gettext as _

from partners.models import Partner, Territory, Tier
from prm.core.prepared import PreparedQuery

from .models import BoardCategory, Comment, Post, Vote

# Fewer partners than this sharing a tier (and territory) would point at one of them.
ANONYMITY_THRESHOLD = 3
S = Post.Status
# Statuses in which a post still takes votes and counts as open on the vendor dashboard.
OPEN_STATUSES = (S.OPEN, S.UNDER_REVIEW, S.PLANNED)
SORTS = {"votes": ("-vote_count", "-created_at", "-id"), "newest": ("-created_at", "-id")}


@dataclass(frozen=True)
class Reader:
    """Who reads the board: vendor staff, or a user acting for a partner."""

    user: object
    partner: Partner | None
    is_vendor: bool

    @property
    def partner_id(self) -> int | None:
        return self.partner.pk if self.partner is not None else None


def post_visible_queryset(*, reader: Reader) -> QuerySet[Post]:
    """Vendor staff see every post; partner users every post not hidden, and their own
    organisation's hidden posts (with the reason)."""
    if reader.is_vendor:
        return Post.objects.all()
    if reader.partner is None:
        return Post.objects.none()
    return Post.objects.filter(Q(hidden_at__isnull=True) | Q(partner_id=reader.partner_id))


def post_list(
    *,
    reader: Reader,
    category: str = "",
    status: str = "",
    kind: str = "",
    search: str = "",
    sort: str = "votes",
) -> QuerySet[Post]:
    """The posts the reader may see, filtered and sorted, each annotated with whether the
    reader voted for it; posts merged into another are left out unless asked for."""
    rows = post_visible_queryset(reader=reader).select_related(
        "category", "author_tier", "author_territory"
    )
    if category:
        rows = rows.filter(category__code=category)
    rows = rows.filter(status=status) if status else rows.exclude(status=S.MERGED)
    if kind:
        rows = rows.filter(kind=kind)
    if search:
        rows = rows.filter(Q(title__icontains=search) | Q(body__icontains=search))
    return _with_voted(rows, reader).order_by(*SORTS.get(sort, SORTS["votes"]))


def _with_voted(rows: QuerySet[Post], reader: Reader) -> QuerySet[Post]:
    if reader.is_vendor:
        return rows.annotate(voted=Value(False, output_field=BooleanField()))
    mine = Vote.objects.filter(post=OuterRef("pk"), user=reader.user)
    return rows.annotate(voted=Exists(mine))


def post_get(*, reader: Reader, pk: int) -> Post:
    post = (
        _with_voted(post_visible_queryset(reader=reader), reader)
        .select_related("category", "author_tier", "author_territory", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if post is None:
        raise Http404
    return post


def comment_list(*, post: Post) -> list[Comment]:
    return list(post.comments.select_related("author_tier", "author_territory"))


def category_list() -> list[BoardCategory]:
    return list(BoardCategory.objects.all())


# Authors, without names


def cohort_sizes(rows: Iterable) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    """How many active partners hold each tier, and each (tier, territory), for the tiers and
    territories of `rows` (posts or comments): two queries whatever their number."""
    rows = list(rows)
    tiers = {r.author_tier_id for r in rows if r.author_tier_id}
    territories = {r.author_territory_id for r in rows if r.author_territory_id}
    if not tiers:
        return {}, {}
    active = Partner.objects.filter(status=Partner.Status.ACTIVE, tier_id__in=tiers)
    by_tier = dict(
        active.values("tier_id").annotate(n=Count("id")).values_list("tier_id", "n").order_by()
    )
    by_pair: dict[tuple[int, int], int] = {}
    if territories:
        through = Partner.territories.through.objects.filter(
            partner__in=active, territory_id__in=territories
        )
        for tier_id, territory_id, n in (
            through.values("partner__tier_id", "territory_id")
            .annotate(n=Count("partner_id", distinct=True))
            .values_list("partner__tier_id", "territory_id", "n")
            .order_by()
        ):
            by_pair[(tier_id, territory_id)] = n
    return by_tier, by_pair


def author_label(row, *, reader: Reader, sizes) -> str:
    """How the author of a post or comment is shown to `reader` (see the module docstring)."""
    if isinstance(row, Comment) and row.partner_id is None:
        return _("the vendor")
    if reader.partner_id is not None and row.partner_id == reader.partner_id:
        return _("your organisation")
    by_tier, by_pair = sizes
    tier = row.author_tier
    if tier is None or by_tier.get(tier.pk, 0) < ANONYMITY_THRESHOLD:
        return _("a partner")
    territory = row.author_territory
    if territory is not None and by_pair.get((tier.pk, territory.pk), 0) >= ANONYMITY_THRESHOLD:
        return _("a %(tier)s partner in %(territory)s") % {
            "tier": tier.display_name,
            "territory": territory.code,
        }
    return _("a %(tier)s partner") % {"tier": tier.display_name}


def authors_label(rows: Iterable, *, reader: Reader) -> None:
    """Set `author_label` on each row, and for vendor staff `organisation` (the partner's code
    and name, which only the vendor may read)."""
    rows = list(rows)
    sizes = cohort_sizes(rows)
    organisations = {}
    if reader.is_vendor:
        ids = {r.partner_id for r in rows if r.partner_id}
        organisations = {
            p.pk: f"{p.code} · {p.display_name}" for p in Partner.objects.filter(pk__in=ids)
        }
    for row in rows:
        row.author_label = author_label(row, reader=reader, sizes=sizes)
        row.organisation = organisations.get(row.partner_id, "")


def author_cohort(partner: Partner) -> tuple[Tier | None, Territory | None]:
    """The tier and territory a new post or comment of `partner` is shown under: of its
    territories, the one shared with the most partners of its tier."""
    if partner.tier_id is None:
        return None, None
    best = (
        Partner.territories.through.objects.filter(
            territory__partners=partner,
            partner__tier_id=partner.tier_id,
            partner__status=Partner.Status.ACTIVE,
        )
        .values("territory_id")
        .annotate(n=Count("partner_id", distinct=True))
        .order_by("-n", "territory__code")
        .values_list("territory_id", flat=True)
        .first()
    )
    if best is None:
        best = partner.territories.order_by("code").values_list("pk", flat=True).first()
    territory = Territory.objects.filter(pk=best).first() if best else None
    return partner.tier, territory


@functools.cache
def _top_ideas(limit: int) -> PreparedQuery:
    return PreparedQuery(
        lambda: (
            Post.objects.filter(
                kind=Post.Kind.IDEA, status__in=OPEN_STATUSES, hidden_at__isnull=True
            )
            .select_related("category", "author_tier", "author_territory")
            .order_by("-vote_count", "-created_at")[:limit]
        ),
        plan_once=True,
    )


def top_ideas(*, limit: int = 5) -> list[Post]:
    """The most-voted open ideas, for the vendor dashboard: one query, with their category and
    the authors' labels."""
    return _top_ideas(limit)()


def top_ideas_query(*, limit: int = 5) -> tuple[PreparedQuery, dict]:
    """The query compiled once of what `top_ideas(limit=limit)` gives, and the values to run it
    with (none): to read with other queries."""
    return _top_ideas(limit), {}
