"""Reads of statements, sales and imports, scoped to the requesting user."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from partners.models import Partner
from partners.selectors import partner_visible_ids, partner_visible_queryset
from prm.core.money import format_amount

from . import periods
from .models import ImportBatch, Sale, Statement, StatementLine
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
        quarter = (
            periods.quarter_of(period)
            if len(period) == 7 and period[4] == "-" and period[5] != "Q"
            else None
        )
        qs = qs.filter(period__in=[period, quarter.label] if quarter else [period])
    return qs.order_by("-period_start", "partner__code")


class StatementsByPeriod:
    """Statements in `statement_list`'s order (newest period start first, then partner code)
    with how many there are of each period start, newest first, for a paginator. A page within
    one period start reads that period start's statements alone, which the database reads in
    partner code order instead of sorting every statement."""

    def __init__(self, statements: QuerySet[Statement], counts: list[tuple[dt.date, int]]):
        self.statements = statements
        self.counts = counts

    def count(self) -> int:
        return sum(count for _, count in self.counts)

    def __getitem__(self, window: slice) -> QuerySet[Statement]:
        first = 0
        for period_start, count in self.counts:
            if window.start < first + count:
                if window.stop <= first + count:
                    same_start = self.statements.filter(period_start=period_start)
                    return same_start[window.start - first : window.stop - first]
                break
            first += count
        return self.statements[window]


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
