"""Reads of statements, sales and imports, scoped to the requesting user."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from partners.models import Partner
from partners.selectors import partner_visible_ids, partner_visible_queryset
from partners.selectors.directory import (
    SCOPE_ALL,
    SCOPE_IDS,
    SCOPE_MANAGED,
    SCOPE_MANAGED_IN_GROUP,
    partner_scope,
    scope_share,
    scoped_partner_ids,
    unscoped_partner_ids,
)
from prm.core.money import format_amount
from prm.core.prepared import PreparedPages, PreparedQuery, counted

from . import periods
from .models import ImportBatch, Sale, Statement, StatementLine, StatementRollup
from .rates import rate_text


def statements_for_month(label: str) -> QuerySet[Statement]:
    """Statements of the month `label` and of the quarter containing it."""
    quarter = periods.quarter_of(label)
    return (
        Statement.objects.filter(period__in=[label, quarter.label])
        .select_related("partner")
        .prefetch_related(Prefetch("lines", queryset=StatementLine.objects.order_by("position")))
        .order_by("partner__code", "period")
    )


def statement_as_dict(statement: Statement) -> dict:
    """The contract's JSON shape; amounts as strings."""
    return {
        "partner": statement.partner.code,
        "period": statement.period,
        "status": statement.status,
        "currency": statement.currency,
        "total": format_amount(statement.total, statement.currency),
        "carried_forward": format_amount(statement.carried_forward, statement.currency),
        "lines": [
            {
                "description": line.description,
                "amount": format_amount(line.amount, statement.currency),
            }
            for line in statement.lines.all()
        ],
    }


def statement_list(
    *, user, current_partner: Partner | None = None, period: str = ""
) -> QuerySet[Statement]:
    visible = partner_visible_ids(user=user, current_partner=current_partner)
    qs = Statement.objects.select_related("partner")
    if visible is not None:
        qs = qs.filter(partner_id__in=visible)
    if period:
        qs = qs.filter(period__in=_period_labels(period))
    return qs.order_by("-period_start", "partner__code")


def _period_labels(period: str) -> list[str]:
    """The period `period`, and for a month the quarter containing it."""
    if len(period) == 7 and period[4] == "-" and period[5] != "Q":
        return [period, periods.quarter_of(period).label]
    return [period]


# What a row of the statement list shows.
STATEMENT_ROW_FIELDS = (
    "period",
    "status",
    "currency",
    "net_sales",
    "total",
    "computed_at",
    "acknowledged_at",
    "partner__code",
    "partner__name",
    "partner__local_name",
)
# The statement list's filters: the statuses it offers, and whether acknowledged.
STATEMENT_STATUSES = ("draft", "approved", "paid")
ACKNOWLEDGED_CHOICES = ("yes", "no")


def _statement_filter(
    qs: QuerySet,
    *,
    period: str,
    status: str,
    acknowledged: str,
    is_acknowledged: Callable[[bool], Q] = lambda yes: Q(acknowledged_at__isnull=not yes),
) -> QuerySet:
    """`qs` limited to the statement list's filters (`statement_list`'s period, a status of
    STATEMENT_STATUSES, acknowledged "yes" or "no"; any other value filters nothing), the rows
    acknowledged or not being those of `is_acknowledged(True)` and `is_acknowledged(False)`."""
    if period:
        qs = qs.filter(period__in=_period_labels(period))
    if status in STATEMENT_STATUSES:
        qs = qs.filter(status=status)
    if acknowledged == "yes":
        qs = qs.filter(is_acknowledged(True))
    elif acknowledged == "no":
        qs = qs.exclude(status=Statement.Status.DRAFT).filter(is_acknowledged(False))
    return qs


def _rollup_sums(*, period: str, status: str, acknowledged: str) -> QuerySet:
    """(currency, period start, total in hundredths, count) of every statement under the
    statement list's filters (`_statement_filter`), from the rollup (summed over its slots; a
    pair whose count is 0 has no statement)."""
    qs = _statement_filter(
        StatementRollup.objects.all(),
        period=period,
        status=status,
        acknowledged=acknowledged,
        is_acknowledged=lambda yes: Q(acknowledged=yes),
    )
    return (
        qs.order_by()
        .values_list("currency", "period_start")
        .annotate(Sum("total_cents"), Sum("statement_count"))
    )


@dataclass(frozen=True)
class _StatementQueries:
    rows: PreparedQuery  # the list's rows, in its order
    rows_of_start: PreparedQuery  # the same, of one period start
    count: PreparedQuery
    # (currency, period start, sum of totals, count) of the scope's statements; None when the
    # scope is every partner
    sums: PreparedQuery | None
    # the same in hundredths for every partner, from the rollup
    rollup: PreparedQuery
    # the same as `sums` for the partners outside the scope, and how many partners there are
    # in it and in all (a scope of some partners)
    outside: PreparedQuery | None
    share: Callable[..., dict[str, int]] | None


@functools.lru_cache(maxsize=64)
def _statement_queries(scope: str, period: str, status: str, acknowledged: str):
    """The statement list's queries for the partners of `scope` (a kind of `partner_scope`)
    and the filters, compiled once."""

    def statements(partner_ids) -> QuerySet:
        qs = Statement.objects.all()
        if partner_ids is not None:
            qs = qs.filter(partner_id__in=partner_ids)
        return _statement_filter(qs, period=period, status=status, acknowledged=acknowledged)

    def rows(**ids: int) -> QuerySet:
        return (
            statements(scoped_partner_ids(scope, **ids))
            .select_related("partner")
            .only(*STATEMENT_ROW_FIELDS)
            .order_by("-period_start", "partner__code")
        )

    def rows_of_start(period_start: dt.date, **ids: int) -> QuerySet:
        return rows(**ids).filter(period_start=period_start)

    def sums(partner_ids) -> QuerySet:
        return (
            statements(partner_ids)
            .order_by()
            .values_list("currency", "period_start")
            .annotate(sum_of_totals=Sum("total"), statements=Count("*"))
        )

    names = SCOPE_IDS[scope]
    filters = {"period": period, "status": status, "acknowledged": acknowledged}
    every = scope == SCOPE_ALL
    some = scope in (SCOPE_MANAGED, SCOPE_MANAGED_IN_GROUP)
    return _StatementQueries(
        rows=PreparedQuery(rows, *names, plan_once=True),
        rows_of_start=PreparedQuery(rows_of_start, *names, dates=("period_start",), plan_once=True),
        count=PreparedQuery(
            lambda **ids: counted(statements(scoped_partner_ids(scope, **ids))),
            *names,
            plan_once=True,
        ),
        sums=None
        if every
        else PreparedQuery(
            lambda **ids: sums(scoped_partner_ids(scope, **ids)), *names, plan_once=True
        ),
        rollup=PreparedQuery(lambda: _rollup_sums(**filters), plan_once=True),
        outside=PreparedQuery(
            lambda **ids: sums(unscoped_partner_ids(scope, **ids)), *names, plan_once=True
        )
        if some
        else None,
        share=scope_share(scope) if some else None,
    )


# A scope leaving out at most this share of the partners sums every partner's statements less
# those of the partners it leaves out: the database reads far fewer statements.
OUTSIDE_SHARE = 0.1


def _statement_sums(queries: _StatementQueries, ids: dict) -> list:
    """(currency, period start, sum of totals, count) of the statements of `queries` for the
    partners of `ids`. Every partner's are the rollup's; those of nearly every partner
    (OUTSIDE_SHARE), the rollup's less those of the partners outside the scope (none when it
    holds every partner)."""
    if queries.sums is not None:
        share = queries.share(**ids) if queries.share is not None else None
        if share is None or share["partners"] - share["inside"] > OUTSIDE_SHARE * share["partners"]:
            return queries.sums(**ids)
    sums = {
        (currency, start): (Decimal(cents).scaleb(-2), count)
        for currency, start, cents, count in queries.rollup()
    }
    if queries.sums is not None and share["inside"] < share["partners"]:
        for currency, start, amount, count in queries.outside(**ids):
            every_amount, every_count = sums[(currency, start)]
            sums[(currency, start)] = (every_amount - amount, every_count - count)
    return [(*key, amount, count) for key, (amount, count) in sums.items() if count]


class StatementsByPeriod:
    """Statements in `statement_list`'s order (newest period start first, then partner code)
    for a paginator, with how many there are of each period start, newest first. A page within
    one period start reads that period start's statements alone, which the database reads in
    partner code order instead of sorting every statement."""

    def __init__(self, queries: _StatementQueries, ids: dict, counts: list[tuple[dt.date, int]]):
        self._queries, self._ids, self.counts = queries, ids, counts

    def count(self) -> int:
        return sum(count for _, count in self.counts)

    def __getitem__(self, window: slice) -> list[Statement]:
        start, stop = window.start or 0, window.stop
        if stop <= start:
            return []
        first = 0
        for period_start, count in self.counts:
            if start < first + count:
                if stop <= first + count:
                    return self._queries.rows_of_start(
                        limit=stop - start,
                        offset=start - first,
                        period_start=period_start,
                        **self._ids,
                    )
                break
            first += count
        return self._queries.rows(limit=stop - start, offset=start, **self._ids)


def statement_list_with_sums(
    *,
    user,
    current_partner: Partner | None = None,
    period: str = "",
    status: str = "",
    acknowledged: str = "",
) -> tuple[list[tuple[str, dt.date, Decimal, int]], StatementsByPeriod | list]:
    """The statements of `statement_list(...)` under the list's filters (`_statement_filter`):
    the sum of their totals and their number per currency and period start, and the
    statements for a Paginator with the columns of the list's rows (STATEMENT_ROW_FIELDS).
    Their SQL is compiled once per set of filters and kind of partner scope."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return [], []
    kind, ids = scope
    queries = _statement_queries(kind, period, status, acknowledged)
    sums = _statement_sums(queries, ids)
    counts: dict[dt.date, int] = {}
    for _currency, period_start, _amount, count in sums:
        counts[period_start] = counts.get(period_start, 0) + count
    return sums, StatementsByPeriod(queries, ids, sorted(counts.items(), reverse=True))


def statement_list_pages(
    *,
    user,
    current_partner: Partner | None = None,
    period: str = "",
    status: str = "",
    acknowledged: str = "",
) -> PreparedPages | list:
    """The statements of `statement_list(...)` under the list's filters for a Paginator, with
    the columns of the list's rows: their SQL is compiled once per set of filters."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return []
    kind, ids = scope
    queries = _statement_queries(kind, period, status, acknowledged)
    return PreparedPages(queries.rows, queries.count, ids)


# The payout trend's bars: the newest statements, and what a bar shows of each.
TREND_PERIODS = 12
TREND_FIELDS = ("period", "total", "currency", "status")


@functools.lru_cache(maxsize=8)
def _trend_query(scope: str) -> PreparedQuery:
    def build(**ids: int) -> QuerySet:
        partner_ids = scoped_partner_ids(scope, **ids)
        qs = Statement.objects.all()
        if partner_ids is not None:
            qs = qs.filter(partner_id__in=partner_ids)
        return qs.only(*TREND_FIELDS).order_by("-period_start", "partner__code")[:TREND_PERIODS]

    return PreparedQuery(build, *SCOPE_IDS[scope], plan_once=True)


def statement_trend_list(*, user, current_partner: Partner | None = None) -> list[Statement]:
    """The newest TREND_PERIODS statements of `statement_list(...)`, in its order, with the
    columns a trend bar shows (TREND_FIELDS)."""
    scope = partner_scope(user=user, current_partner=current_partner)
    if scope is None:
        return []
    kind, ids = scope
    return _trend_query(kind)(**ids)


def statement_get(*, user, pk: int, current_partner: Partner | None = None) -> Statement:
    visible = partner_visible_queryset(user=user, current_partner=current_partner)
    try:
        return (
            Statement.objects.select_related("partner", "approved_by", "paid_by")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=StatementLine.objects.select_related(
                        "rule__line", "rule__product", "adjustment", "restates"
                    ).order_by("position"),
                )
            )
            .get(pk=pk, partner__in=visible)
        )
    except Statement.DoesNotExist as exc:
        raise Http404 from exc


def statement_line_sale_ids(*, statement: Statement, line: StatementLine | None) -> list[int]:
    """The ids of the sales lines behind a rule line (None: the statement's unmatched lines), by
    the same matching as the recompute: first rule in priority order, returns under their
    original's rule, returns past the clawback days under none. Behind a restatement line: the
    lines of the restated period under its rule that arrived after the last approval settling
    that period, and (once this statement is approved) no later than this statement's approval."""
    from .services.compute import matched_sale_ids

    if line is not None and line.kind == StatementLine.Kind.RESTATEMENT:
        since = line.explanation[0].get("since") if line.explanation else None
        return matched_sale_ids(
            partner_id=statement.partner_id,
            period=periods.parse(line.restates.period),
            rule_id=line.rule_id,
            arrived_after=dt.datetime.fromisoformat(since) if since else None,
            arrived_until=statement.approved_at,
        )
    return matched_sale_ids(
        partner_id=statement.partner_id,
        period=periods.parse(statement.period),
        rule_id=line.rule_id if line is not None else None,
    )


def statement_line_sales(*, statement: Statement, line: StatementLine | None) -> QuerySet[Sale]:
    """The sales lines behind a line (see `statement_line_sale_ids`), in invoice order."""
    ids = statement_line_sale_ids(statement=statement, line=line)
    return (
        Sale.objects.filter(pk__in=ids)
        .select_related("product", "original")
        .order_by("invoice_date", "external_id")
    )


def statement_line_find(*, statement: Statement, position: int) -> StatementLine:
    """The statement's line at `position` that lists sales (a rule line, or the restatement of
    one); 404 for any other."""
    line = next((x for x in statement.lines.all() if x.position == position), None)
    if line is None or not line_has_sales(line):
        raise Http404
    return line


def line_has_sales(line: StatementLine) -> bool:
    """Rule lines and the restatements of a rule list sales; cap and adjustment lines none."""
    return line.kind == StatementLine.Kind.RULE or (
        line.kind == StatementLine.Kind.RESTATEMENT and line.rule_id is not None
    )


SALE_FIELDS = [
    "external_id",
    "invoice_date",
    "sku",
    "customer_name",
    "kind",
    "original_external_id",
    "quantity",
    "net_amount",
    "currency",
    "original_amount",
    "original_currency",
    "exchange_rate",
    "rate_date",
]


def sale_as_dict(sale: Sale) -> dict:
    """One sales line as the exports and the API give it, amounts and rates as strings: the
    amount in the partner's currency, and for a line invoiced in another currency the invoice's
    amount and currency, the rate it was converted at and that rate's date (else null)."""
    converted = sale.is_converted
    return {
        "external_id": sale.external_id,
        "invoice_date": sale.invoice_date.isoformat(),
        "sku": sale.product.sku,
        "customer_name": sale.customer_name,
        "kind": sale.kind,
        "original_external_id": sale.original.external_id if sale.original_id else None,
        "quantity": format(sale.quantity.normalize(), "f"),
        "net_amount": format_amount(sale.net_amount, sale.currency),
        "currency": sale.currency,
        "original_amount": (
            format_amount(sale.original_amount, sale.original_currency) if converted else None
        ),
        "original_currency": sale.original_currency if converted else None,
        "exchange_rate": rate_text(sale.exchange_rate) if converted else None,
        "rate_date": sale.rate_date.isoformat() if converted else None,
    }


def import_list() -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("created_by").order_by("-created_at")
