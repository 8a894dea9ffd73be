"""Reads of agreements and versions, scoped to the requesting user."""

from __future__ import annotations

import datetime as dt
import functools
from typing import NamedTuple

from django.db.models import Max, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from partners.models import Partner
from partners.selectors import (
    SCOPE_IDS,
    counted_in_scope,
    partner_scope,
    partner_visible_ids,
    partner_visible_queryset,
    scoped_partner_ids,
)
from prm.core.prepared import PreparedIdsQuery, PreparedPages, PreparedQuery

from .models import Agreement, AgreementVersion

LIVE_STATUSES = [Agreement.Status.ACTIVE, Agreement.Status.EXPIRING]


def agreement_list(*, user, current_partner: Partner | None = None, status: str = "") -> QuerySet:
    visible = partner_visible_ids(user=user, current_partner=current_partner)
    qs = Agreement.objects.select_related("partner")
    if visible is not None:
        qs = qs.filter(partner_id__in=visible)
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related(
        Prefetch(
            "versions",
            queryset=AgreementVersion.objects.exclude(status=AgreementVersion.Status.DRAFT)
            .order_by("-number")
            .only("id", "agreement_id", "number", "status", "in_force_from", "effective_date"),
            to_attr="published_versions",
        )
    ).order_by("partner__code", "number")


# The agreement list's page size: a page's versions are read in one query.
AGREEMENT_PAGE_SIZE = 25
# The columns of the agreement list's rows (`agreement_tags.agreement_rows`).
AGREEMENT_ROW_FIELDS = (
    "number",
    "type",
    "status",
    "start",
    "end",
    "termination_effective",
    "partner__code",
    "partner__name",
    "partner__local_name",
)


class PublishedVersion(NamedTuple):
    """What the agreement list shows of a published version."""

    number: int
    status: str


@functools.lru_cache(maxsize=32)
def _agreement_page_queries(scope: str, status: str) -> tuple[PreparedQuery, PreparedQuery]:
    """The agreement list's rows and their count for the partners of `scope` (a kind of
    `partner_scope`) and a status (or every status), compiled once and planned once per
    database connection (the first page; a few statuses, so a few statements)."""

    def of_status() -> QuerySet:
        qs = Agreement.objects.all()
        return qs.filter(status=status) if status else qs

    def scoped(**ids: int) -> QuerySet:
        partner_ids = scoped_partner_ids(scope, **ids)
        qs = of_status()
        return qs if partner_ids is None else qs.filter(partner_id__in=partner_ids)

    def rows(**ids: int) -> QuerySet:
        return (
            scoped(**ids)
            .select_related("partner")
            .only(*AGREEMENT_ROW_FIELDS)
            .order_by("partner__code", "number")
        )

    def count(**ids: int) -> QuerySet:
        return counted_in_scope(of_status(), scope, **ids)

    names = SCOPE_IDS[scope]
    return (
        PreparedQuery(rows, *names, plan_once=True),
        PreparedQuery(count, *names, plan_once=True),
    )


def agreement_list_pages(
    *, user, current_partner: Partner | None = None, status: str = ""
) -> PreparedPages | list[Agreement]:
    """The agreements of `agreement_list(...)` for a Paginator, with the columns of the list's
    rows (AGREEMENT_ROW_FIELDS) and, on each page, their published versions, newest first
    (`published_versions`, PublishedVersion tuples): their SQL is compiled once per status and
    kind of partner scope."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return []
    kind, ids = scope
    rows, count = _agreement_page_queries(kind, status)
    return PreparedPages(rows, count, ids, _add_published_versions)


_PUBLISHED_VERSIONS = PreparedIdsQuery(
    lambda ids: (
        AgreementVersion.objects.filter(agreement_id__in=ids)
        .exclude(status=AgreementVersion.Status.DRAFT)
        .order_by("agreement_id", "-number")
        .values_list("agreement_id", "number", "status")
    ),
    AGREEMENT_PAGE_SIZE,
    plan_once=True,
)


def _add_published_versions(agreements: list[Agreement]) -> None:
    """Set `published_versions` on each of `agreements`: its published versions, newest first."""
    versions: dict[int, list[PublishedVersion]] = {agreement.pk: [] for agreement in agreements}
    if not versions:
        return
    for agreement_id, number, status in _PUBLISHED_VERSIONS(list(versions)):
        versions[agreement_id].append(PublishedVersion(number, status))
    for agreement in agreements:
        agreement.published_versions = versions[agreement.pk]


def agreement_get(*, user, number: str, current_partner: Partner | None = None) -> Agreement:
    visible = partner_visible_queryset(user=user, current_partner=current_partner)
    try:
        return Agreement.objects.select_related("partner", "partner__account_manager").get(
            number=number, partner__in=visible
        )
    except Agreement.DoesNotExist as exc:
        raise Http404 from exc


def version_in_force(*, agreement: Agreement, on: dt.date) -> AgreementVersion | None:
    """The accepted version with the latest in-force date on or before `on`."""
    return (
        agreement.versions.filter(status=AgreementVersion.Status.ACCEPTED, in_force_from__lte=on)
        .order_by("-in_force_from", "-number")
        .first()
    )


def terms_revision(agreement: Agreement) -> int:
    """The number of the agreement's latest version (0 before the first): the token an editor
    carries from opening the terms to saving them."""
    return agreement.versions.aggregate(n=Max("number"))["n"] or 0


def version_pending(*, agreement: Agreement) -> AgreementVersion | None:
    return agreement.versions.filter(status=AgreementVersion.Status.AWAITING_ACCEPTANCE).first()


def version_list(*, agreement: Agreement) -> list[AgreementVersion]:
    return list(
        agreement.versions.exclude(status=AgreementVersion.Status.DRAFT)
        .select_related("published_by", "accepted_by")
        .order_by("-number")
    )


def version_get(*, agreement: Agreement, number: int) -> AgreementVersion:
    try:
        return agreement.versions.exclude(status=AgreementVersion.Status.DRAFT).get(number=number)
    except AgreementVersion.DoesNotExist as exc:
        raise Http404 from exc


def versions_in_force(
    *, on: dt.date, agreements: QuerySet | None = None
) -> dict[int, AgreementVersion]:
    """agreement id → version in force on `on`, for many agreements in two queries."""
    qs = AgreementVersion.objects.filter(
        status=AgreementVersion.Status.ACCEPTED, in_force_from__lte=on
    ).prefetch_related("territories", "product_lines")
    if agreements is not None:
        qs = qs.filter(agreement__in=agreements)
    result: dict[int, AgreementVersion] = {}
    for version in qs.order_by("agreement_id", "in_force_from", "number"):
        result[version.agreement_id] = version
    return result


def agreements_affected_by_price_change(*, line_ids: set[int], on: dt.date) -> list[Agreement]:
    """Live agreements whose terms in force cover any of the product lines (or all lines)."""
    live = Agreement.objects.filter(status__in=LIVE_STATUSES).select_related("partner")
    in_force = versions_in_force(on=on, agreements=live)
    affected = []
    for agreement in live:
        version = in_force.get(agreement.pk)
        if version is None:
            continue
        lines = {line.pk for line in version.product_lines.all()}
        if not lines or lines & line_ids:
            agreement.version_in_force = version
            affected.append(agreement)
    return affected


def exclusivity_overlap_exists(*, agreement: Agreement, version: AgreementVersion) -> bool:
    """Whether another live agreement's terms in force grant a territory and product line that
    `version` grants, either side exclusive: the same rule as
    services.agreements.exclusivity_conflicts, answered in one query and naming nobody (what a
    partner may learn of an overlap)."""
    on = max(timezone.localdate(), version.effective_date)
    latest = (
        AgreementVersion.objects.filter(
            agreement=OuterRef("agreement"),
            status=AgreementVersion.Status.ACCEPTED,
            in_force_from__lte=on,
        )
        .order_by("-in_force_from", "-number")
        .values("pk")[:1]
    )
    others = AgreementVersion.objects.filter(
        agreement__status__in=LIVE_STATUSES,
        pk=Subquery(latest),
        territories__in=version.territories.all(),
        product_lines__in=version.product_lines.all(),
    ).exclude(agreement_id=agreement.pk)
    if not version.exclusive:
        others = others.filter(exclusive=True)
    return others.exists()
