"""Reads of audit events, scoped like the objects they describe: one selector for every reader."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import models
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast

from prm.core.access import VENDOR_ROLES, Role
from prm.core.events import readable_verbs
from prm.core.models import Event
from prm.core.prepared import PreparedQuery

from ..permissions import partner_scope_stand_in


def event_list(
    *,
    user,
    role: Role | str | None,
    partner=None,
    targets: Iterable[models.Model | QuerySet] = (),
    limit: int = 20,
) -> list[Event]:
    """The events `user`, acting as `role`, may read, newest first.

    Partner roles read the history of `partner` (their organisation) without vendor-only entries
    and without what their role does not open (prm.core.events.HIDDEN_AREAS). Vendor staff read
    everything of `partner`, or with no partner, of every partner they may see. `targets`
    narrows the list to events about those objects (an agreement's page); there vendor staff
    also read the events about two partners, which are filed under neither."""
    verbs = readable_verbs(role)
    vendor = role in VENDOR_ROLES
    if verbs == [] or (not vendor and partner is None):
        return []
    ids = None
    if partner is None:
        # Imported here: the directory selectors list a partner's events through this one.
        from .directory import partner_visible_ids

        ids = partner_visible_ids(user=user)
    about = _about(targets)
    if about is None:
        recent = _feed(user, None if verbs is None else tuple(verbs), limit, partner, ids)
        if recent is not None:
            return recent
    events = Event.objects.all()
    if verbs is not None:
        events = events.filter(verb__in=verbs)
    if partner is not None:
        scope = Q(partner=partner)
    else:
        scope = Q(partner__isnull=False) if ids is None else Q(partner_id__in=ids)
    if about is not None:
        events = events.filter(about)
        if vendor:
            scope |= Q(partner__isnull=True)
    return list(
        events.filter(scope)
        .select_related("actor", "partner", "target_type")
        .order_by("-created_at", "-id")[:limit]
    )


def event_feed_query(*, user, limit: int) -> tuple[PreparedQuery, dict] | None:
    """The query compiled once of what `event_list` gives `user` as vendor staff (every verb)
    without a partner, the newest `limit` events of the partners they see, and the values to run
    it with: to read with other queries. None for a partner scope it does not cover. Who reads
    as every partner (`reading_scope_shape`) has no subquery of partners built."""
    from .directory import partner_visible_ids, reading_scope_shape

    if reading_scope_shape(user)[0] == "all":
        return _recent(None, limit, False), {}
    return _feed_query(user, None, limit, None, partner_visible_ids(user=user))


def _feed_query(
    user, verbs: tuple[str, ...] | None, limit: int, partner, ids
) -> tuple[PreparedQuery, dict] | None:
    """The query of a dashboard's feed (`event_list` without targets), compiled once for every
    reader of the same role and partner scope, and the values to run it with; None for a scope
    it does not cover."""
    if partner is not None:
        return _recent(verbs, limit, True), {"partner": partner.pk}
    if ids is None:
        return _recent(verbs, limit, False), {}
    from .directory import reading_scope_shape

    shape = reading_scope_shape(user)
    if shape[0] == "all":
        return _recent(verbs, limit, False), {}
    if shape[0] == "managed":
        return _recent_managed(verbs, limit, shape), {"user": user.pk}
    return None


# The columns a feed reads: the event's own, the actor's name and the partner's code and names
# (prm.core.events.event_values), and the target's type.
FEED_FIELDS = (
    "id",
    "actor__full_name",
    "actor__email",
    "verb",
    "target_type__app_label",
    "target_type__model",
    "target_id",
    "partner__code",
    "partner__name",
    "partner__local_name",
    "before",
    "after",
    "reason",
    "created_at",
)


def _feed(user, verbs: tuple[str, ...] | None, limit: int, partner, ids) -> list[Event] | None:
    """A dashboard's feed (`event_list` without targets), by a query compiled once for every
    reader of the same role and partner scope; None for a scope it does not cover."""
    feed = _feed_query(user, verbs, limit, partner, ids)
    if feed is None:
        return None
    query, values = feed
    return query(**values)


@functools.cache
def _recent(verbs: tuple[str, ...] | None, limit: int, of_partner: bool) -> PreparedQuery:
    """The newest `limit` events of the verbs `verbs` (None: every verb) of one partner
    (`of_partner`, its id given on each call) or of every partner, compiled once."""

    def build(partner: int | None = None) -> QuerySet[Event]:
        events = Event.objects.all()
        if verbs is not None:
            events = events.filter(verb__in=verbs)
        scope = Q(partner_id=partner) if of_partner else Q(partner__isnull=False)
        return (
            events.filter(scope)
            .select_related("actor", "partner", "target_type")
            .only(*FEED_FIELDS)
            .order_by("-created_at", "-id")[:limit]
        )

    return PreparedQuery(build, *(["partner"] if of_partner else []), plan_once=True)


@functools.cache
def _recent_managed(verbs: tuple[str, ...] | None, limit: int, shape: tuple) -> PreparedQuery:
    """The newest `limit` events of the verbs `verbs` (None: every verb) of the partners a user
    whose partner scope has the shape `shape` manages (the user's id given on each call),
    compiled once."""
    from .directory import partner_visible_ids

    def build(user: int) -> QuerySet[Event]:
        events = Event.objects.all()
        if verbs is not None:
            events = events.filter(verb__in=verbs)
        ids = partner_visible_ids(user=partner_scope_stand_in(shape, user))
        return (
            events.filter(partner_id__in=ids)
            .select_related("actor", "partner", "target_type")
            .order_by("-created_at", "-id")[:limit]
        )

    return PreparedQuery(build, "user", plan_once=True)


def _about(targets: Iterable[models.Model | QuerySet]) -> Q | None:
    """Events about any of `targets` (objects, or querysets read as a subquery), one condition
    per model, with no content type lookup."""
    ids: dict[tuple[str, str], list] = {}
    for target in targets:
        if isinstance(target, QuerySet):
            opts = target.model._meta
            pks = target.annotate(event_target_id=Cast("pk", CharField())).values("event_target_id")
            ids.setdefault((opts.app_label, opts.model_name), []).append(pks)
        else:
            opts = target._meta
            ids.setdefault((opts.app_label, opts.model_name), []).append([str(target.pk)])
    if not ids:
        return None
    about = Q()
    for (app_label, model_name), groups in ids.items():
        for pks in groups:
            about |= Q(
                target_type__app_label=app_label, target_type__model=model_name, target_id__in=pks
            )
    return about
