"""Recomputing draft payout statements, set-based.

For a period and a batch of partners, one SQL aggregate assigns every sale line its rule (the
first rule in priority order whose scope matches, under the plan of the agreement version in
force on the line's invoice date; a return uses its original sale's date and rule, and counts
only within the plan's clawback days) and sums volume and quantity per partner and rule. The
rule arithmetic then runs on those few sums in Python, and the statements are written in bulk.
No Python loop ever runs over sales lines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone, translation

from agreements.models import AgreementVersion
from partners.models import Partner
from prm.core.lookups import Ids, membership
from prm.core.money import minor_unit, quantize

from .. import periods
from ..models import (
    Adjustment,
    PaidSalesRollup,
    PlanVersion,
    Rule,
    Sale,
    SalePaid,
    SalesRollup,
    Statement,
    StatementLine,
)
from ..rules import rule_amount

BATCH_SIZE = 1000  # partners per write transaction
# The rule of a rollup row that the other accrual's query counts: summed apart, then dropped.
SKIP = -1
FAR_PAST = dt.date(1900, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)


@dataclass
class Segment:
    start: dt.date
    end: dt.date
    plan_version: PlanVersion


def plan_segments(partner_ids: list[int] | None) -> dict[int, list[Segment]]:
    """Per partner, non-overlapping date ranges with the plan version that governs them: the
    plan named by the agreement version in force, in the plan's version dated on that day."""
    plan_versions: dict[str, list[PlanVersion]] = defaultdict(list)
    for pv in PlanVersion.objects.select_related("plan").order_by("effective_from"):
        plan_versions[pv.plan.code].append(pv)
    accepted = AgreementVersion.objects.filter(status=AgreementVersion.Status.ACCEPTED)
    if partner_ids is not None:
        accepted = accepted.filter(agreement__partner_id__in=partner_ids)
    by_agreement: dict[int, list[tuple]] = defaultdict(list)
    for row in accepted.order_by("agreement_id", "in_force_from", "number").values_list(
        "agreement_id",
        "in_force_from",
        "commission_plan",
        "agreement__partner_id",
        "agreement__start",
        "agreement__end",
        "agreement__termination_effective",
    ):
        by_agreement[row[0]].append(row[1:])
    raw: dict[int, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
    for versions in by_agreement.values():
        _, _, partner_id, start_date, end_date, termination = versions[0]
        last_day = termination - dt.timedelta(days=1) if termination else end_date
        for i, (in_force_from, plan_code, *_rest) in enumerate(versions):
            start = max(in_force_from, start_date)
            end = versions[i + 1][0] - dt.timedelta(days=1) if i + 1 < len(versions) else last_day
            end = min(end, last_day)
            if start <= end and plan_code:
                raw[partner_id].append((start, end, plan_code))
    result: dict[int, list[Segment]] = {}
    for partner_id, ranges in raw.items():
        ranges.sort()
        segments: list[Segment] = []
        for index, (start, end, code) in enumerate(ranges):
            if index + 1 < len(ranges):
                # A later agreement takes over where it starts; ranges never overlap.
                end = min(end, ranges[index + 1][0] - dt.timedelta(days=1))
            for pv_start, pv_end, pv in _plan_version_ranges(plan_versions.get(code, [])):
                lo, hi = max(start, pv_start), min(end, pv_end)
                if lo <= hi:
                    segments.append(Segment(lo, hi, pv))
        result[partner_id] = segments
    return result


def _plan_version_ranges(versions: list[PlanVersion]):
    for i, pv in enumerate(versions):
        end = (
            versions[i + 1].effective_from - dt.timedelta(days=1)
            if i + 1 < len(versions)
            else FAR_FUTURE
        )
        yield pv.effective_from, end, pv


def _days_between(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _rule_case(rules_by_version: dict[int, list[Rule]]) -> tuple[str, list]:
    """CASE picking, per plan version, the first rule (lowest priority) whose scope matches."""
    if not rules_by_version:
        return "NULL", []
    sql, params = ["CASE seg.pv_id"], []
    for pv_id, rules in rules_by_version.items():
        inner, inner_params = [], []
        for rule in rules:
            if rule.product_id:
                inner.append("WHEN p.id = %s THEN %s")
                inner_params += [rule.product_id, rule.pk]
            elif rule.line_id:
                inner.append("WHEN p.line_id = %s THEN %s")
                inner_params += [rule.line_id, rule.pk]
            else:
                inner.append("WHEN 1 = 1 THEN %s")
                inner_params.append(rule.pk)
        if not inner:
            continue
        sql.append(f"WHEN %s THEN (CASE {' '.join(inner)} END)")
        params += [pv_id, *inner_params]
    sql.append("END")
    return " ".join(sql), params


@dataclass
class Bucket:
    volume: Decimal = Decimal("0")
    quantity: Decimal = Decimal("0")
    count: int = 0


@dataclass
class PartnerSums:
    rules: dict[int, Bucket] = field(default_factory=lambda: defaultdict(Bucket))
    unmatched: Bucket = field(default_factory=Bucket)
    late_returns: Bucket = field(default_factory=Bucket)
    net_sales: Decimal = Decimal("0")


def _sales_query(
    *,
    period: periods.Period,
    partner_ids: list[int] | None,
    segments: dict[int, list[Segment]],
) -> tuple[str, str, str, list]:
    """The shared core of the commission queries: (seg CTE, rule CASE, FROM/WHERE, params).

    One scan of the period's sales lines, each joined to the plan segment of its invoice date
    (a return: its original's date, looked up for returns only) and to its product, so that the
    rule CASE can pick its rule."""
    rows, seg_params = [], []
    for partner_id, partner_segments in segments.items():
        for seg in partner_segments:
            rows.append("(%s, %s, %s, %s, %s)")
            seg_params += [
                partner_id,
                seg.start,
                seg.end,
                seg.plan_version.pk,
                seg.plan_version.clawback_days,
            ]
    if not rows:
        # A row that matches nothing keeps the query's shape.
        rows.append("(%s, %s, %s, %s, %s)")
        seg_params += [0, FAR_PAST, FAR_PAST, 0, 0]
    pv_ids = {seg.plan_version.pk for segs in segments.values() for seg in segs}
    rules_by_version: dict[int, list[Rule]] = defaultdict(list)
    for rule in Rule.objects.filter(version_id__in=pv_ids).order_by("version_id", "priority"):
        rules_by_version[rule.version_id].append(rule)
    rule_case, rule_params = _rule_case(rules_by_version)
    cte = f"WITH seg (partner_id, d_from, d_to, pv_id, clawback) AS (VALUES {', '.join(rows)})"
    sale = Sale._meta.db_table
    original_date = f"(SELECT o.invoice_date FROM {sale} o WHERE o.id = s.original_id)"  # noqa: S608
    rule_date = f"CASE WHEN s.original_id IS NULL THEN s.invoice_date ELSE {original_date} END"
    partner_filter, partner_params = "", []
    if partner_ids is not None:
        partner_filter = f"AND s.partner_id IN ({', '.join(['%s'] * len(partner_ids))})"
        partner_params = list(partner_ids)
    body = f"""
        FROM {sale} s
        JOIN agreements_product p ON p.id = s.product_id
        LEFT JOIN seg ON seg.partner_id = s.partner_id
             AND ({rule_date}) BETWEEN seg.d_from AND seg.d_to
        WHERE s.invoice_date BETWEEN %s AND %s {partner_filter}
    """
    elapsed = _days_between("s.invoice_date", original_date)
    late = f"(s.original_id IS NOT NULL AND {elapsed} > seg.clawback)"
    return (
        cte,
        rule_case,
        body,
        [seg_params, rule_params, [period.start, period.end, *partner_params], late],
    )


def _on_payment(seg: Segment) -> int:
    return 1 if seg.plan_version.accrual == PlanVersion.Accrual.PAYMENT else 0


def rule_map(pv_ids) -> dict[int, dict[int, list[int]]]:
    """Per plan version, each rule's products: every product goes to the first rule, in
    priority order, whose scope (SKU, product line or everything) matches it. Products no rule
    takes are in no list (their lines are unmatched)."""
    from agreements.models import Product

    rules_by_version: dict[int, list[Rule]] = defaultdict(list)
    for rule in Rule.objects.filter(version_id__in=set(pv_ids)).order_by("version_id", "priority"):
        rules_by_version[rule.version_id].append(rule)
    products = list(Product.objects.values_list("id", "line_id"))
    result: dict[int, dict[int, list[int]]] = {}
    for pv_id, rules in rules_by_version.items():
        taken: dict[int, list[int]] = defaultdict(list)
        for product_id, line_id in products:
            for rule in rules:
                if (
                    (rule.product_id and rule.product_id == product_id)
                    or (not rule.product_id and rule.line_id and rule.line_id == line_id)
                    or (not rule.product_id and not rule.line_id)
                ):
                    taken[rule.pk].append(product_id)
                    break
        result[pv_id] = dict(taken)
    return result


class _Sql:
    """A fragment of SQL and its parameters, built for the database in use."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def member(self, column: str, values: list) -> tuple[str, list]:
        """`column` is one of the ids `values` (`membership`)."""
        return membership(column, list(values), connection.vendor)

    def rule_case(self, pv_column: str, rmap: dict[int, dict[int, list[int]]]) -> tuple[str, list]:
        """The rule of a rollup row `r` under the plan version in `pv_column` (NULL: none;
        SKIP: SKIP, a line the other accrual's query counts)."""
        whens, params = ["WHEN %s THEN %s"], [SKIP, SKIP]
        for pv_id, rules in rmap.items():
            inner, inner_params = [], []
            # The largest product set first: most rows stop at the first test.
            for rule_id, product_ids in sorted(rules.items(), key=lambda item: -len(item[1])):
                test, test_params = self.member("r.product_id", product_ids)
                inner.append(f"WHEN {test} THEN %s")
                inner_params += [*test_params, rule_id]
            if inner:
                whens.append(f"WHEN %s THEN (CASE {' '.join(inner)} END)")
                params += [pv_id, *inner_params]
        return f"(CASE {pv_column} {' '.join(whens)} END)", params


def _plan_case(
    sql: _Sql,
    period: periods.Period,
    segments: dict[int, list[Segment]],
    *,
    paid: bool = False,
    day: str = "r.invoice_date",
    scope: set[int] | None = None,
) -> tuple[str, list]:
    """The plan version of a rollup row `r` on its `day` as a CASE over classes of partners:
    partners whose plan segments are the same share one test of membership, so the common case
    costs one hash probe. Under the invoice accrual (`paid` false), rows under a plan accruing on
    payment are SKIP and rows under no plan NULL (unmatched); when `day` is the invoice date,
    which lies in the period, the segments are cut to it and the common case (one plan over the
    whole period) needs no date test. Under accrual on payment (`paid`), rows under a plan
    accruing on invoice, or under none, are SKIP. A return's `day` is its original's date, on
    any day. `scope`, when known, holds every partner whose rows the statement reads: when each
    has a class, the largest class needs no test (its rows are all the others)."""
    in_period = day == "r.invoice_date" and not paid
    classes: dict[tuple, list[int]] = defaultdict(list)
    for partner_id, partner_segments in segments.items():
        if scope is not None and partner_id not in scope:
            continue
        signature = tuple(
            (
                max(seg.start, period.start) if in_period else seg.start,
                min(seg.end, period.end) if in_period else seg.end,
                seg.plan_version.pk if _on_payment(seg) == paid else SKIP,
            )
            for seg in partner_segments
            if not in_period or (seg.start <= period.end and seg.end >= period.start)
        )
        if signature:
            classes[signature].append(partner_id)
    none = " ELSE %s" if paid else ""
    none_params = [SKIP] if paid else []
    ordered = sorted(classes.items(), key=lambda item: -len(item[1]))
    otherwise = None
    if ordered and scope is not None and sum(len(ids) for _sig, ids in ordered) == len(scope):
        otherwise = ordered.pop(0)[0]
    whens, params = [], []
    for signature, partner_ids in ordered:
        test, test_params = sql.member("r.partner_id", partner_ids)
        expression, expression_params = _dated_plan(signature, period, day, none, in_period)
        whens.append(f"WHEN {test} THEN {expression}")
        params += [*test_params, *expression_params, *none_params]
    if otherwise is not None:
        expression, expression_params = _dated_plan(otherwise, period, day, none, in_period)
        if not whens:
            return expression, expression_params + none_params
        params += [*expression_params, *none_params]
        return f"(CASE {' '.join(whens)} ELSE {expression} END)", params
    if not whens:
        return ("%s", [SKIP]) if paid else ("CAST(NULL AS BIGINT)", [])
    return f"(CASE {' '.join(whens)}{none} END)", params + none_params


def _dated_plan(
    signature: tuple, period: periods.Period, day: str, none: str, in_period: bool
) -> tuple[str, list]:
    """The plan version of a row of a partner of one class (`_plan_case`), by its `day`;
    the caller adds the parameter of `none`, if any, after these."""
    if in_period and len(signature) == 1 and signature[0][:2] == (period.start, period.end):
        return "%s", [signature[0][2]]
    dated = " ".join(f"WHEN {day} BETWEEN %s AND %s THEN %s" for _ in signature)
    return f"(CASE {dated}{none} END)", [value for entry in signature for value in entry]


def _clawback_case(plan_case: str, segments: dict[int, list[Segment]]) -> tuple[str, list]:
    """The clawback days of the plan version in `plan_case` (NULL for SKIP or none)."""
    days = {
        seg.plan_version.pk: seg.plan_version.clawback_days
        for partner_segments in segments.values()
        for seg in partner_segments
    }
    if not days:
        return "CAST(NULL AS INTEGER)", []
    whens = " ".join("WHEN %s THEN %s" for _ in days)
    return f"(CASE {plan_case} {whens} END)", [v for item in sorted(days.items()) for v in item]


def _paid_throughout(partner_segments: list[Segment], period: periods.Period) -> bool:
    """Whether plans accruing on payment govern every day of the period: then none of the
    partner's sales invoiced in it counts on its invoice date."""
    day = period.start
    for seg in sorted(partner_segments, key=lambda seg: seg.start):
        if seg.end < day:
            continue
        if seg.start > day or not _on_payment(seg):
            return False
        day = seg.end + dt.timedelta(days=1)
        if day > period.end:
            return True
    return False


def aggregate(
    *,
    period: periods.Period,
    partner_ids: list[int] | None,
    segments: dict[int, list[Segment]],
) -> dict[int, PartnerSums]:
    """Per partner and rule, the net volume, quantity and line count in the period.

    Each (plan version, product) is resolved to its rule once (`rule_map`). The statements then
    read rollup rows only: the lines that count on their invoice date from the sales rollup,
    by invoice date; under plans accruing on payment, the lines paid in the period from the
    paid sales rollup, by the day they count. The sales are read in one pass per rollup with no
    join (each row's plan version from its partner's class of plan segments, its rule from its
    product, both as hashed membership tests), summed per partner and rule; the returns (a few,
    found through partial indexes, both rollups' in one statement) take the plan of their
    original sale's date the same way, which also decides whether they came within the
    clawback days. A row under the other accrual's plan is summed under the rule SKIP and
    dropped; the invoice rollup's sales are not read for partners whose plans accrue on payment
    over the whole period."""
    sql = _Sql()
    pv_ids = {seg.plan_version.pk for segs in segments.values() for seg in segs}
    rmap = rule_map(pv_ids)
    on_payment = payment_partners(segments, partner_ids)
    statements = []
    invoice_ids, scope = _invoice_partners(period, segments, partner_ids, on_payment)
    if invoice_ids is None or invoice_ids:
        statements.append(
            _rollup_sales_sql(sql, period, segments, rmap, invoice_ids, paid=False, scope=scope)
        )
    if on_payment:
        statements.append(
            _rollup_sales_sql(sql, period, segments, rmap, partner_ids, paid=True, scope=scope)
        )
    # The returns are few: both rollups' in one statement. The sales are a statement each, so
    # that each aggregate runs in every parallel worker (under a UNION ALL, each part would
    # run in one).
    returns = [
        _rollup_returns_sql(sql, period, segments, rmap, partner_ids, paid=False, scope=scope)
    ]
    if on_payment:
        returns.append(
            _rollup_returns_sql(sql, period, segments, rmap, partner_ids, paid=True, scope=scope)
        )
    statements.append(
        (
            " UNION ALL ".join(part for part, _params in returns),
            [value for _part, params in returns for value in params],
        )
    )
    result: dict[int, PartnerSums] = defaultdict(PartnerSums)
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        if sql.postgres:
            # Transaction-local settings, in one statement. jit: compiling these one-off
            # statements costs more than it saves. enable_sort: the planner cannot know that a
            # row's rule depends on its product alone, so it expects a group per row and would
            # sort a million rows to the disk; hashing the few real groups (partners × rules)
            # in each parallel worker is the fast way. work_mem: partners × rules groups in
            # each worker and in the final step, kept in memory (at 10,000 partners the default
            # 4 MB spills them to the disk). parallel_tuple_cost: for the same reason the planner
            # expects each parallel worker to pass up a group per row or so, and would scan
            # alone; each passes up its few real groups, and two workers halve the scan.
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('enable_sort', 'off', true), "
                "set_config('work_mem', '64MB', true), "
                "set_config('parallel_tuple_cost', '0.01', true)"
            )
        for query, params in statements:
            if sql.postgres:
                # One JSON document rather than thousands of rows: psycopg2 would convert each
                # value of each row in Python.
                document = (
                    "SELECT CAST(json_agg(ARRAY[q.partner_id, q.rule_id, q.late, q.volume, "  # noqa: S608
                    f"q.quantity, q.lines]) AS TEXT) FROM ({query}) q"
                )
                cursor.execute(document, params)
                rows += json.loads(cursor.fetchone()[0] or "[]")
            else:
                cursor.execute(query, params)
                rows += cursor.fetchall()
    for partner_id, rule_id, is_late, volume, quantity, count in rows:
        if rule_id == SKIP:
            continue
        sums = result[partner_id]
        # The rollup keeps whole hundredths.
        volume, quantity = Decimal(volume) / 100, Decimal(quantity) / 100
        sums.net_sales += volume
        # A line with no rule is unmatched, a late return included (its original was too),
        # as `matched_sale_ids(rule_id=None)` lists it.
        if rule_id is None:
            bucket = sums.unmatched
        elif is_late:
            bucket = sums.late_returns
        else:
            bucket = sums.rules[rule_id]
        bucket.volume += volume
        bucket.quantity += quantity
        bucket.count += int(count)
    return result


def _invoice_partners(
    period: periods.Period,
    segments: dict[int, list[Segment]],
    partner_ids: list[int] | None,
    on_payment: set[int],
) -> tuple[list[int] | None, set[int] | None]:
    """The partners whose sales invoiced in the period are read from the sales rollup (None:
    every partner): all but those whose plans accrue on payment over the whole period; and the
    partners the recompute covers, when known (those named, or all once looked up). When some
    accrue on payment throughout and no partners were named, the others are looked up, so that
    a recompute where every plan accrues on payment does not read the invoice rollup at all."""
    throughout = {pid for pid in on_payment if _paid_throughout(segments[pid], period)}
    if partner_ids is not None:
        return sorted(set(partner_ids) - throughout), set(partner_ids)
    if not throughout:
        return None, None
    everyone = set(Partner.objects.order_by().values_list("pk", flat=True))
    return sorted(everyone - throughout), everyone


def _rollup_sales_sql(
    sql: _Sql,
    period: periods.Period,
    segments: dict[int, list[Segment]],
    rmap: dict[int, dict[int, list[int]]],
    partner_ids: list[int] | None,
    *,
    paid: bool,
    scope: set[int] | None = None,
) -> tuple[str, list]:
    """The sums of the sales (not returns) of `partner_ids` (None: all) that count in the
    period, per partner and rule: from the sales rollup by invoice date, or (`paid`) from the
    paid sales rollup by counting day. Rows under the other accrual's plans are SKIP. `scope`:
    every partner, when known (`_plan_case`)."""
    table = (PaidSalesRollup if paid else SalesRollup)._meta.db_table
    day = "counted_on" if paid else "invoice_date"
    partner_filter, partner_params = "", []
    if partner_ids is not None:
        test, partner_params = sql.member("r.partner_id", partner_ids)
        partner_filter = f"AND {test}"
        scope = set(partner_ids)
    plan_case, plan_params = _plan_case(sql, period, segments, paid=paid, scope=scope)
    sale_rule, sale_rule_params = sql.rule_case(plan_case, rmap)
    query = f"""
        SELECT r.partner_id AS partner_id, {sale_rule} AS rule_id, 0 AS late,
               CAST(SUM(r.volume_cents) AS BIGINT) AS volume,
               CAST(SUM(r.quantity_hundredths) AS BIGINT) AS quantity,
               CAST(SUM(r.line_count) AS BIGINT) AS lines
        FROM {table} r
        WHERE r.kind = 'sale' AND r.{day} BETWEEN %s AND %s {partner_filter}
        GROUP BY 1, 2
        HAVING SUM(r.line_count) > 0
    """  # noqa: S608
    return query, [*plan_params, *sale_rule_params, period.start, period.end, *partner_params]


def _rollup_returns_sql(
    sql: _Sql,
    period: periods.Period,
    segments: dict[int, list[Segment]],
    rmap: dict[int, dict[int, list[int]]],
    partner_ids: list[int] | None,
    *,
    paid: bool,
    scope: set[int] | None = None,
) -> tuple[str, list]:
    """The sums of the returns of `partner_ids` (None: all) that count in the period, per
    partner, rule and lateness, each under the plan of its original's date (`_plan_case`) and
    late past that plan's clawback days: from the sales rollup by invoice date, or (`paid`) from
    the paid sales rollup by counting day. Rows under the other accrual's plans (or, paid, under
    none) are SKIP. `scope`: every partner, when known (`_plan_case`)."""
    table = (PaidSalesRollup if paid else SalesRollup)._meta.db_table
    day = "counted_on" if paid else "invoice_date"
    partner_filter, partner_params = "", []
    if partner_ids is not None:
        test, partner_params = sql.member("r.partner_id", partner_ids)
        partner_filter = f"AND {test}"
        scope = set(partner_ids)
    plan, plan_params = _plan_case(
        sql, period, segments, paid=paid, day="r.original_date", scope=scope
    )
    return_rule, return_rule_params = sql.rule_case(plan, rmap)
    clawback, clawback_params = _clawback_case(plan, segments)
    elapsed = _days_between("r.invoice_date", "r.original_date")
    query = f"""
        SELECT r.partner_id AS partner_id, {return_rule} AS rule_id,
               CASE WHEN {elapsed} > {clawback} THEN 1 ELSE 0 END AS late,
               -CAST(SUM(r.volume_cents) AS BIGINT) AS volume,
               -CAST(SUM(r.quantity_hundredths) AS BIGINT) AS quantity,
               CAST(SUM(r.line_count) AS BIGINT) AS lines
        FROM {table} r
        WHERE r.kind = 'return' AND r.{day} BETWEEN %s AND %s {partner_filter}
        GROUP BY 1, 2, 3
        HAVING SUM(r.line_count) > 0
    """  # noqa: S608
    return query, [
        *plan_params,
        *return_rule_params,
        *plan_params,
        *clawback_params,
        period.start,
        period.end,
        *partner_params,
    ]


def payment_partners(segments: dict[int, list[Segment]], partner_ids) -> set[int]:
    """The partners with a plan that accrues on payment at some time."""
    wanted = None if partner_ids is None else set(partner_ids)
    return {
        pid
        for pid, segs in segments.items()
        if (wanted is None or pid in wanted)
        and any(seg.plan_version.accrual == PlanVersion.Accrual.PAYMENT for seg in segs)
    }


def counting_date_sql(seg: str = "seg") -> str:
    """The day a line `r` (its original `o`, the original's or its own paid day `sp`) counts:
    its invoice date, except under a plan accruing on payment, where a sale counts on the day
    its payments reach its net amount (a sale of 0 on its invoice date; unpaid: NULL) and a
    return on the later of its own date and the day its original sale counted."""
    paid = (
        "(CASE WHEN COALESCE(o.net_amount, r.net_amount) = 0 "
        "THEN COALESCE(o.invoice_date, r.invoice_date) ELSE sp.paid_on END)"
    )
    later = (
        f"(CASE WHEN {paid} IS NULL THEN NULL WHEN {paid} > r.invoice_date THEN {paid} "
        "ELSE r.invoice_date END)"
    )
    return (
        f"(CASE WHEN {seg}.pay = 1 THEN "
        f"(CASE WHEN r.original_id IS NULL THEN {paid} ELSE {later} END) "
        "ELSE r.invoice_date END)"
    )


def _on_payment_query(
    sql: _Sql,
    period: periods.Period,
    partner_ids: set[int],
    segments: dict[int, list[Segment]],
    rmap: dict[int, dict[int, list[int]]],
    *,
    line_ids_of: tuple[int | None] | None = None,
) -> tuple[str, list]:
    """The sums of the partners of `partner_ids` from their sales lines, each counted on its
    `counting_date_sql` and under the plan and rule of its (original's) invoice date. The lines
    read are the only ones that can count in the period, in three disjoint parts: invoiced in
    it; invoiced before it and paid in full in it; returns invoiced before it of sales paid in
    full in it. With `line_ids_of` = (rule id or None), the ids of the lines that earned under
    that rule (None: the unmatched ones) instead."""
    sale, paid = Sale._meta.db_table, SalePaid._meta.db_table
    ids = sorted(partner_ids)
    rows, seg_params = [], []
    for pid in ids:
        for seg in segments.get(pid, []):
            rows.append("(%s, %s, %s, %s, %s, %s)")
            pay = 1 if seg.plan_version.accrual == PlanVersion.Accrual.PAYMENT else 0
            seg_params += [
                pid,
                seg.start,
                seg.end,
                seg.plan_version.pk,
                seg.plan_version.clawback_days,
                pay,
            ]
    if not rows:
        rows.append("(%s, %s, %s, %s, %s, %s)")
        seg_params += [0, FAR_PAST, FAR_PAST, 0, 0, 0]
    in_sales, p1 = sql.member("s.partner_id", ids)
    in_paid, p2 = sql.member("sp.partner_id", ids)
    in_paid_r, p3 = sql.member("sp.partner_id", ids)
    rule, rule_params = sql.rule_case("seg.pv_id", rmap)
    elapsed = _days_between("r.invoice_date", "o.invoice_date")
    counted = counting_date_sql()
    signed = "(CASE WHEN r.kind = 'return' THEN -1 ELSE 1 END)"
    late = f"(r.original_id IS NOT NULL AND {elapsed} > seg.clawback)"
    tail_params: list = []
    if line_ids_of is None:
        select = f"""SELECT r.partner_id, {rule}, CASE WHEN {late} THEN 1 ELSE 0 END,
               SUM({signed} * CAST(ROUND(r.net_amount * 100) AS BIGINT)),
               SUM({signed} * CAST(ROUND(r.quantity * 100) AS BIGINT)),
               COUNT(*)"""
        tail = "GROUP BY 1, 2, 3"
    else:
        select = "SELECT r.id"
        if line_ids_of[0] is None:
            tail = f"AND ({rule}) IS NULL"
            tail_params = list(rule_params)
        else:
            tail = f"AND ({rule}) = %s AND NOT COALESCE({late}, FALSE)"
            tail_params = [*rule_params, line_ids_of[0]]
        tail += " ORDER BY r.invoice_date, r.id"
        rule_params = []
    query = f"""
        WITH seg (partner_id, d_from, d_to, pv_id, clawback, pay) AS (VALUES {", ".join(rows)}),
        r AS (
            SELECT s.id, s.partner_id, s.product_id, s.invoice_date, s.kind, s.original_id,
                   s.net_amount, s.quantity
            FROM {sale} s WHERE s.invoice_date BETWEEN %s AND %s AND {in_sales}
            UNION ALL
            SELECT s.id, s.partner_id, s.product_id, s.invoice_date, s.kind, s.original_id,
                   s.net_amount, s.quantity
            FROM {paid} sp JOIN {sale} s ON s.id = sp.sale_id
            WHERE sp.paid_on BETWEEN %s AND %s AND {in_paid} AND s.invoice_date < %s
            UNION ALL
            SELECT s.id, s.partner_id, s.product_id, s.invoice_date, s.kind, s.original_id,
                   s.net_amount, s.quantity
            FROM {paid} sp JOIN {sale} s ON s.original_id = sp.sale_id
            WHERE sp.paid_on BETWEEN %s AND %s AND {in_paid_r} AND s.invoice_date < %s
        )
        {select}
        FROM r
        LEFT JOIN {sale} o ON o.id = r.original_id
        LEFT JOIN {paid} sp ON sp.sale_id = COALESCE(r.original_id, r.id)
        LEFT JOIN seg ON seg.partner_id = r.partner_id
             AND COALESCE(o.invoice_date, r.invoice_date) BETWEEN seg.d_from AND seg.d_to
        WHERE (CASE WHEN seg.pv_id IS NULL THEN r.invoice_date ELSE {counted} END)
              BETWEEN %s AND %s {tail}
    """  # noqa: S608
    params = [
        *seg_params,
        period.start,
        period.end,
        *p1,
        period.start,
        period.end,
        *p2,
        period.start,
        period.start,
        period.end,
        *p3,
        period.start,
        *rule_params,
        period.start,
        period.end,
        *tail_params,
    ]
    return query, params


def matched_sale_ids(
    *,
    partner_id: int,
    period: periods.Period,
    rule_id: int | None,
    arrived_after: dt.datetime | None = None,
    arrived_until: dt.datetime | None = None,
) -> list[int]:
    """The sales lines that earned under `rule_id` (None: the unmatched ones), by the same
    matching as the aggregate; with `arrived_after` / `arrived_until`, only the lines imported
    in that window (the late data behind a restatement line)."""
    segments = plan_segments([partner_id])
    if payment_partners(segments, [partner_id]) and arrived_after is None:
        sql = _Sql()
        pv_ids = {seg.plan_version.pk for seg in segments.get(partner_id, [])}
        query, params = _on_payment_query(
            sql, period, {partner_id}, segments, rule_map(pv_ids), line_ids_of=(rule_id,)
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return [row[0] for row in cursor.fetchall()]
    cte, rule_case, body, (seg_params, rule_params, where_params, late) = _sales_query(
        period=period, partner_ids=[partner_id], segments=segments
    )
    if rule_id is None:
        condition, extra = f"({rule_case}) IS NULL", []
    else:
        condition, extra = f"({rule_case}) = %s AND NOT COALESCE({late}, FALSE)", [rule_id]
    if arrived_after is not None:
        condition += " AND s.imported_at > %s"
        extra.append(arrived_after)
    if arrived_until is not None:
        condition += " AND s.imported_at <= %s"
        extra.append(arrived_until)
    sql = f"{cte} SELECT s.id {body} AND {condition} ORDER BY s.invoice_date, s.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*seg_params, *where_params, *rule_params, *extra])
        return [row[0] for row in cursor.fetchall()]


def _fmt(value: Decimal, places: int = 2) -> str:
    return format(value, f",.{places}f")


def _pct(value: Decimal) -> str:
    return format(value.normalize(), "f")


KIND_WORDS = {
    "percent": "percent",
    "per_unit": "per unit",
    "tiered_marginal": "tiered marginal",
    "tiered_flat": "tiered flat",
}


def _statement_plan(segments: list[Segment], period: periods.Period) -> PlanVersion | None:
    """The plan version that sets the period's cap and accelerator: the one in force on the
    period's last day, else the last one in force during the period."""
    inside = [s for s in segments if s.start <= period.end and s.end >= period.start]
    for seg in inside:
        if seg.start <= period.end <= seg.end:
            return seg.plan_version
    return inside[-1].plan_version if inside else None


@dataclass
class Computed:
    lines: list[dict]
    total: Decimal
    net_sales: Decimal
    target: Decimal | None
    unmatched: Bucket
    carried_forward: Decimal = Decimal("0")


@dataclass(frozen=True)
class Carried:
    """The negative total of a partner's previous statement, carried into this one."""

    statement_id: int
    period: str
    amount: Decimal


def _carried_line(carried: Carried, places: int) -> dict:
    return {
        "kind": StatementLine.Kind.CARRIED,
        "carried_from_id": carried.statement_id,
        "description": (
            f"Carried forward from {carried.period}: "
            f"{'−' if carried.amount < 0 else ''}{_fmt(abs(carried.amount), places)}"
        ),
        "amount": carried.amount,
        "explanation": [
            {"label": "carried", "period": carried.period, "amount": str(carried.amount)}
        ],
    }


def compute_statement(
    *,
    currency: str,
    sums: PartnerSums,
    plan: PlanVersion | None,
    rules: dict[int, Rule],
    target: Decimal | None,
    adjustments: list[Adjustment],
    restatements: list[dict] = (),
    carried: Carried | None = None,
) -> Computed:
    """The statement lines of one partner and period from its per-rule sums; `restatements`
    (lines restating earlier approved periods) follow the rule and cap lines, before the
    adjustments. The cap applies to this period's rules only. A negative total `carried` from
    the previous statement is the first line; under a plan that carries forward, a negative
    total pays nothing and is carried out (`carried_forward`)."""
    places = minor_unit(currency)
    multiplier = None
    attainment = None
    if plan and plan.accelerator_threshold is not None and target:
        attainment = sums.net_sales / target * 100
        if attainment >= plan.accelerator_threshold:
            multiplier = plan.accelerator_multiplier
    lines: list[dict] = []
    ordered = sorted(
        sums.rules.items(),
        # The rule's id last: rules of two plans can share a date and a priority, and the
        # aggregate's rows come in no particular order.
        key=lambda item: (
            rules[item[0]].version.effective_from,
            rules[item[0]].priority,
            item[0],
        ),
    )
    for rule_id, bucket in ordered:
        rule = rules[rule_id]
        result = rule_amount(
            kind=rule.kind,
            volume=bucket.volume,
            quantity=bucket.quantity,
            rate=rule.rate,
            amount=rule.amount,
            brackets=rule.brackets,
        )
        raw = result.amount
        explanation = [step.as_dict() for step in result.steps]
        if multiplier is not None:
            raw = raw * multiplier
            explanation.append(
                {
                    "label": "accelerator",
                    "base": str(result.amount),
                    "factor": str(multiplier),
                    "unit": "×",
                    "result": str(raw),
                    "attainment": str(quantize(attainment, "USD")),
                }
            )
        amount = quantize(raw, currency)
        arithmetic = " + ".join(
            # Money at the currency's minor unit; a per-unit rule's base is a quantity.
            f"{_fmt(Decimal(s['base']), 2 if s['label'] == 'per_unit' else places)} × "
            f"{_pct(Decimal(s['factor']))}{'%' if s['unit'] == '%' else ''}"
            for s in explanation
            if s["label"] != "accelerator"
        )
        label = (
            explanation[0]["label"]
            if len(result.steps) == 1 and rule.kind.startswith("tiered")
            else KIND_WORDS[rule.kind]
        )
        description = f"{rule.scope_label}, {label}: {arithmetic}"
        if multiplier is not None:
            description += f" × {_pct(multiplier)} (accelerator)"
        description += f" = {_fmt(amount, places)}"
        lines.append(
            {
                "kind": StatementLine.Kind.RULE,
                "rule_id": rule.pk,
                "description": description,
                "volume": bucket.volume,
                "quantity": bucket.quantity,
                "sale_count": bucket.count,
                "amount": amount,
                "explanation": explanation,
            }
        )
    subtotal = sum((line["amount"] for line in lines), Decimal("0"))
    if plan and plan.cap is not None and subtotal > plan.cap:
        reduction = quantize(plan.cap, currency) - subtotal
        lines.append(
            {
                "kind": StatementLine.Kind.CAP,
                "description": (
                    f"Cap {_fmt(plan.cap, places)}: {_fmt(subtotal, places)} "
                    f"reduced by {_fmt(-reduction, places)}"
                ),
                "amount": reduction,
                "explanation": [{"label": "cap", "cap": str(plan.cap), "subtotal": str(subtotal)}],
            }
        )
    lines.extend(restatements)
    lines.extend(
        {
            "kind": StatementLine.Kind.ADJUSTMENT,
            "adjustment_id": adjustment.pk,
            "description": f"Adjustment: {adjustment.reason}"[:500],
            "amount": adjustment.amount,
            "explanation": [{"label": "adjustment", "source": adjustment.source_label}],
        }
        for adjustment in adjustments
    )
    if carried is not None and carried.amount:
        lines.insert(0, _carried_line(carried, places))
    total = sum((line["amount"] for line in lines), Decimal("0"))
    carried_out = total if plan is not None and plan.carry_forward and total < 0 else Decimal("0")
    return Computed(lines, total, sums.net_sales, target, sums.unmatched, carried_out)


def _targets(partner_ids: list[int], period: periods.Period) -> dict[int, Decimal]:
    from partners.models import Target

    rows = (
        Target.objects.filter(
            partner_id__any_of=Ids(partner_ids),
            period__in=period.months,
            status=Target.Status.AGREED,
        )
        .values("partner_id")
        .annotate(total=Sum("amount"))
    )
    return {row["partner_id"]: row["total"] for row in rows}


def recompute(
    *,
    month_label: str,
    partner_ids: list[int] | None = None,
    progress=None,
    today: dt.date | None = None,
) -> dict:
    """Recompute the draft statements of the settlement periods containing `month_label`, for
    the given partners (default: every partner with sales, a statement or a pending adjustment
    in the period). Approved and paid statements are never touched: where such a period now
    gives another amount than it holds, the difference goes onto the partner's earliest later
    draft as restatement lines (`restate`; a draft for the period containing `today` is opened
    when there is none). Safe to run twice, or after a crash: the result depends only on the
    data, and an unchanged statement is not rewritten."""
    # Stored descriptions are the canonical English text, whoever asked for the recompute.
    with translation.override("en"):
        return _recompute(
            month_label=month_label,
            partner_ids=partner_ids,
            progress=progress,
            today=today or timezone.localdate(),
        )


def _rules_for(sums: dict[int, PartnerSums], partner_ids) -> dict[int, Rule]:
    # `sums.get`: indexing the defaultdict would add the partner, and `_write` would then open
    # an empty statement for a partner without sales.
    rule_ids = {rid for pid in partner_ids for rid in getattr(sums.get(pid), "rules", ())}
    return {
        r.pk: r
        for r in Rule.objects.filter(pk__in=rule_ids).select_related("product", "line", "version")
    }


@dataclass
class Work:
    """One settlement period's share of a recompute: its per-partner sums and the partners
    whose statement for it is (re)computed."""

    period: periods.Period
    sums: dict[int, PartnerSums]
    partner_ids: list[int]


def recompute_plan(
    *, month_label: str, partner_ids: list[int] | None
) -> tuple[list[Work], dict[int, list[Segment]]]:
    """The read side of a recompute: the plan segments, then one aggregate for the month (and
    one for the quarter when some partners settle quarterly) and who is to be recomputed."""
    month = periods.month(month_label)
    quarter = periods.quarter_of(month_label)
    segments = plan_segments(partner_ids)
    quarterly = set()
    for partner_id, partner_segments in segments.items():
        plan = _statement_plan(partner_segments, month)
        if plan is not None and plan.settlement == PlanVersion.Settlement.QUARTER:
            quarterly.add(partner_id)
    month_sums = aggregate(period=month, partner_ids=partner_ids, segments=segments)
    month_partners = _period_partners(month, month_sums, partner_ids) - quarterly
    work = [Work(month, month_sums, sorted(month_partners))]
    if quarterly:
        quarter_ids = sorted(quarterly)
        quarter_sums = aggregate(period=quarter, partner_ids=quarter_ids, segments=segments)
        quarter_partners = _period_partners(quarter, quarter_sums, quarter_ids)
        work.append(Work(quarter, quarter_sums, sorted(quarter_partners)))
    return work, segments


def _recompute(
    *, month_label: str, partner_ids: list[int] | None, progress, today: dt.date
) -> dict:
    work, segments = recompute_plan(month_label=month_label, partner_ids=partner_ids)
    return write_work(work, segments, progress=progress, today=today)


def write_work(
    work: list[Work], segments: dict[int, list[Segment]], *, progress=None, today: dt.date
) -> dict:
    """The write side of a recompute: the statements of `work`, BATCH_SIZE partners per
    transaction, then the restatements of closed periods that now give other amounts."""
    total = sum(len(item.partner_ids) for item in work)
    counts = {"partners": total, "statements": 0, "unchanged": 0, "skipped": 0, "restated": 0}
    done = 0
    unsettled: list[Statement] = []
    carry_changed: dict[periods.Period, set[int]] = defaultdict(set)
    for item in work:
        period, sums, ordered = item.period, item.sums, item.partner_ids
        rules = _rules_for(sums, ordered)
        for start in range(0, len(ordered), BATCH_SIZE):
            batch = ordered[start : start + BATCH_SIZE]
            result = _write(
                period,
                batch,
                sums,
                segments,
                rules,
                _targets(batch, period),
                unsettled=unsettled,
                carry_changed=carry_changed[period],
            )
            for key, value in result.items():
                counts[key] += value
            done += len(batch)
            if progress is not None:
                progress(done, total)
    if unsettled:
        counts["restated"] = _restate(unsettled, segments, today)
    _carry_on(carry_changed, today)
    return counts


def carried_in(partner_ids: list[int], period: periods.Period) -> dict[int, Carried]:
    """Per partner, the negative total its statement just before `period` carries into it."""
    previous_end = period.start - dt.timedelta(days=1)
    return {
        pid: Carried(pk, label, amount)
        for pk, pid, label, amount in Statement.objects.filter(
            partner_id__any_of=Ids(list(partner_ids)),
            period_end=previous_end,
            carried_forward__lt=0,
        )
        .order_by()
        .values_list("pk", "partner_id", "period", "carried_forward")
    }


def _carry_on(changed: dict[periods.Period, set[int]], today: dt.date) -> None:
    """Recompute the next statement of each partner whose statement now carries another amount
    forward (which may carry on in turn). Statements are opened up to the period containing
    `today`; a later one takes the carried amount when its own period is computed."""
    for period, partner_ids in sorted(changed.items(), key=lambda item: item[0].start):
        following = period.end + dt.timedelta(days=1)
        if not partner_ids or following > today:
            continue
        recompute(
            month_label=periods.month_of(following), partner_ids=sorted(partner_ids), today=today
        )


def recompute_batch(
    *, period_label: str, partner_ids: list[int], sums: dict, today: dt.date | None = None
) -> dict:
    """Write the statements of one batch of a fanned-out recompute, from the sums its request
    computed (`sums_to_json`). Idempotent: it writes what those sums give, and an unchanged
    statement is not rewritten."""
    with translation.override("en"):
        work = [Work(periods.parse(period_label), sums_from_json(sums), sorted(partner_ids))]
        segments = plan_segments(sorted(partner_ids))
        return write_work(work, segments, today=today or timezone.localdate())


def _bucket_json(bucket: Bucket) -> list:
    return [str(bucket.volume), str(bucket.quantity), bucket.count]


def _bucket_from(raw: list) -> Bucket:
    return Bucket(Decimal(raw[0]), Decimal(raw[1]), int(raw[2]))


def sums_to_json(sums: dict[int, PartnerSums], partner_ids) -> dict:
    """The sums of `partner_ids` as JSON (exact: decimals as strings)."""
    return {
        str(pid): {
            "rules": {str(rid): _bucket_json(b) for rid, b in sums[pid].rules.items()},
            "unmatched": _bucket_json(sums[pid].unmatched),
            "late_returns": _bucket_json(sums[pid].late_returns),
            "net_sales": str(sums[pid].net_sales),
        }
        for pid in partner_ids
        if pid in sums
    }


def sums_from_json(raw: dict) -> dict[int, PartnerSums]:
    result: dict[int, PartnerSums] = {}
    for pid, data in raw.items():
        sums = PartnerSums(
            unmatched=_bucket_from(data["unmatched"]),
            late_returns=_bucket_from(data["late_returns"]),
            net_sales=Decimal(data["net_sales"]),
        )
        for rid, bucket in data["rules"].items():
            sums.rules[int(rid)] = _bucket_from(bucket)
        result[int(pid)] = sums
    return result


def _restate(unsettled: list[Statement], segments: dict[int, list[Segment]], today) -> int:
    """Recompute the drafts that take the differences of the `unsettled` closed statements. A
    draft approved meanwhile sends them on to the next one."""
    from . import restate

    pending, routed = unsettled, 0
    for _attempt in range(3):
        missed: set[int] = set()
        for label, hints in restate.targets(pending, segments, today).items():
            period = periods.parse(label)
            ids = sorted(hints)
            sums = aggregate(period=period, partner_ids=ids, segments=segments)
            rules = _rules_for(sums, ids)
            _write(
                period,
                ids,
                sums,
                segments,
                rules,
                _targets(ids, period),
                restate=hints,
                missed=missed,
            )
        routed += len([s for s in pending if s.partner_id not in missed])
        pending = [s for s in pending if s.partner_id in missed]
        if not pending:
            break
    return routed


def _period_partners(
    period: periods.Period, sums: dict[int, PartnerSums], partner_ids: list[int] | None
) -> set[int]:
    """Whose statement for `period` to (re)compute: those asked for, else everyone with sales,
    a statement or an unapplied adjustment."""
    if partner_ids is not None:
        return set(partner_ids)
    found = set(sums)
    found |= set(Statement.objects.filter(period=period.label).values_list("partner_id", flat=True))
    found |= set(
        Statement.objects.filter(
            period_end=period.start - dt.timedelta(days=1), carried_forward__lt=0
        ).values_list("partner_id", flat=True)
    )
    found |= set(
        Adjustment.objects.filter(statement__isnull=True).values_list("partner_id", flat=True)
    )
    return found


# What the statement's lines are made of changes with this tag: a new computation of the same
# inputs must bump it, so that every draft is rebuilt once.
INPUTS_VERSION = "inputs-4"


def _rule_inputs(rule: Rule) -> str:
    """What a rule line depends on besides the partner's sums, as text (once per batch)."""
    return repr(
        (
            rule.pk,
            rule.kind,
            rule.rate,
            rule.amount,
            rule.brackets,
            rule.priority,
            rule.version.effective_from,
            rule.scope_label,
        )
    )


def _plan_inputs(plan: PlanVersion | None) -> str:
    """What the cap, accelerator and carry-forward lines depend on, as text (once per plan)."""
    if plan is None:
        return "None"
    return repr(
        (
            plan.pk,
            plan.cap,
            plan.accelerator_threshold,
            plan.accelerator_multiplier,
            plan.carry_forward,
            plan.accrual,
        )
    )


def _bucket_inputs(bucket: Bucket) -> str:
    return str(bucket.volume) + "/" + str(bucket.quantity) + "/" + str(bucket.count)


def _inputs_fingerprint(
    *,
    currency: str,
    sums: PartnerSums,
    plan: str,
    rules: dict[int, str],
    target: Decimal | None,
    adjustments: list[Adjustment],
    restatements: list[dict],
    carried: Carried | None = None,
) -> str:
    """Everything a statement's computation reads (`compute_statement`'s arguments): equal
    fingerprints give equal lines and totals, so the statement is not rebuilt. `plan` and
    `rules` come as `_plan_inputs` and `_rule_inputs` text. Decimals keep their exponent in
    their text, so 1.0 and 1.00 differ as their printed amounts would; free text is quoted by
    `repr`, so no value can run into the next."""
    parts = [
        INPUTS_VERSION,
        currency,
        plan,
        repr(target),
        str(sums.net_sales),
        _bucket_inputs(sums.unmatched),
        _bucket_inputs(sums.late_returns),
    ]
    parts += sorted(
        f"{rid}:{rules[rid]}:{_bucket_inputs(bucket)}" for rid, bucket in sums.rules.items()
    )
    if adjustments:
        parts.append(
            repr(
                [
                    (a.pk, a.amount, a.currency, a.reason, a.source_label, a.created_at)
                    for a in adjustments
                ]
            )
        )
    if restatements:
        parts.append(json.dumps(restatements, sort_keys=True, default=str))
    if carried:
        parts.append(repr((carried.statement_id, carried.period, carried.amount)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _claims(period_end: dt.date, currency: str, adjustment_currency: str, created_at) -> bool:
    """Whether a statement ending on `period_end` takes an unapplied adjustment: the partner's
    next statement is the first whose period ends on or after the day of the adjustment."""
    return adjustment_currency == currency and period_end >= timezone.localdate(created_at)


@transaction.atomic
def _write(
    period,
    ids,
    sums,
    segments,
    rules,
    targets,
    *,
    unsettled: list[Statement] | None = None,
    restate: dict[int, set[int]] | None = None,
    missed: set[int] | None = None,
    carry_changed: set[int] | None = None,
) -> dict[str, int]:
    """Write one batch of statements under row locks (approval takes the same lock).

    Approved and paid statements of the batch whose period now gives other amounts are added
    to `unsettled`; `restate` names, per partner, closed statements whose difference this
    period's draft takes (opening the draft if need be); partners whose statement here is no
    longer a draft are added to `missed`; partners whose statement now carries another amount
    forward are added to `carry_changed` (their next statement takes it)."""
    from . import restate as restating

    restate = restate or {}
    counts = {"statements": 0, "unchanged": 0, "skipped": 0}
    locked = (
        Statement.objects.select_for_update()
        .filter(partner_id__any_of=Ids(ids), period=period.label)
        .order_by()
        .values_list(*LOCKED_FIELDS)
    )
    existing = {row[1]: Locked(*row) for row in locked}
    # The partners' unapplied adjustments and those already on the batch's statements, in the
    # order a statement lists them. Only an adjustment this period's statement takes (see
    # `_claims`) opens a statement.
    adjustments = list(
        Adjustment.objects.filter(
            Q(partner_id__any_of=Ids(ids), statement__isnull=True)
            | Q(statement_id__any_of=Ids([s.pk for s in existing.values()]))
        )
        .annotate(partner_currency=F("partner__currency"))
        .order_by("created_at", "id")
    )
    pending = {
        a.partner_id
        for a in adjustments
        if a.statement_id is None
        and a.currency == a.partner_currency
        and period.end >= timezone.localdate(a.created_at)
    }
    carried = carried_in(ids, period)
    missing = [
        pid
        for pid in ids
        if pid not in existing
        and (pid in sums or pid in pending or pid in restate or pid in carried)
    ]
    if missing:
        currencies = dict(Partner.objects.filter(pk__in=missing).values_list("pk", "currency"))
        Statement.objects.bulk_create(
            [
                Statement(
                    partner_id=pid,
                    period=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    currency=currencies[pid],
                )
                for pid in missing
            ],
            ignore_conflicts=True,
        )
        existing = {row[1]: Locked(*row) for row in locked.all()}
    drafts = {pid: s for pid, s in existing.items() if s.status == Statement.Status.DRAFT}
    counts["skipped"] = len(existing) - len(drafts)
    closed = [s for pid, s in existing.items() if pid not in drafts]
    if missed is not None:
        missed.update(pid for pid in restate if pid not in drafts)
    if closed and unsettled is not None:
        now = restating.now_lines(period, closed, segments, sums=sums, rules=rules, targets=targets)
        unsettled.extend(restating.unsettled(closed, now))
    if not drafts:
        return counts
    restatements = restating.draft_lines(
        drafts,
        restate,
        segments,
        {s.currency: minor_unit(s.currency) for s in drafts.values()},
    )
    listed = _claim_adjustments(adjustments, drafts)
    now = timezone.now()
    changed: list[Statement] = []
    new_lines: list[StatementLine] = []
    rule_inputs = {rid: _rule_inputs(rule) for rid, rule in rules.items()}
    plans: dict[int | None, str] = {}
    for pid, statement in drafts.items():
        partner_sums = sums.get(pid, PartnerSums())
        plan = _statement_plan(segments.get(pid, []), period)
        key = plan.pk if plan is not None else None
        if key not in plans:
            plans[key] = _plan_inputs(plan)
        fingerprint = _inputs_fingerprint(
            currency=statement.currency,
            sums=partner_sums,
            plan=plans[key],
            rules=rule_inputs,
            target=targets.get(pid),
            adjustments=listed.get(pid, []),
            restatements=restatements.get(pid, []),
            carried=carried.get(pid),
        )
        if statement.computed_at is not None and statement.fingerprint == fingerprint:
            counts["unchanged"] += 1
            continue
        statement = statement.instance()
        computed = compute_statement(
            currency=statement.currency,
            sums=partner_sums,
            plan=plan,
            rules=rules,
            target=targets.get(pid),
            adjustments=listed.get(pid, []),
            restatements=restatements.get(pid, []),
            carried=carried.get(pid),
        )
        if carry_changed is not None and computed.carried_forward != statement.carried_forward:
            carry_changed.add(pid)
        statement.carried_forward = computed.carried_forward
        lines = [
            {**line, "position": position} for position, line in enumerate(computed.lines, start=1)
        ]
        header = (
            computed.total,
            computed.net_sales,
            computed.target,
            computed.unmatched.count,
            computed.unmatched.volume,
        )
        statement.fingerprint = fingerprint
        (
            statement.total,
            statement.net_sales,
            statement.target,
            statement.unmatched_count,
            statement.unmatched_amount,
        ) = header
        statement.computed_at = now
        changed.append(statement)
        new_lines.extend(
            StatementLine(
                statement=statement,
                position=line["position"],
                kind=line["kind"],
                rule_id=line.get("rule_id"),
                adjustment_id=line.get("adjustment_id"),
                restates_id=line.get("restates_id"),
                carried_from_id=line.get("carried_from_id"),
                description=line["description"][:500],
                volume=line.get("volume"),
                quantity=line.get("quantity"),
                sale_count=line.get("sale_count", 0),
                amount=line["amount"],
                explanation=line["explanation"],
            )
            for line in lines
        )
    if changed:
        released = [(keeper, keeper.release(changed)) for keeper in LineLinks.keepers]
        _delete_lines(changed)
        _insert_lines(new_lines)
        for keeper, state in released:
            if state:
                keeper.relink(state, new_lines)
        _update_statements(changed)
    counts["statements"] = len(changed)
    return counts


@dataclass(slots=True)
class Locked:
    """A statement as a recompute reads it under its row lock (LOCKED_FIELDS, in order): a plain
    row, made a model instance (`instance`) only when it is rewritten."""

    pk: int
    partner_id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    currency: str
    status: str
    fingerprint: str
    computed_at: dt.datetime | None
    carried_forward: Decimal

    def instance(self) -> Statement:
        statement = Statement(
            **{("id" if f.name == "pk" else f.name): getattr(self, f.name) for f in fields(self)}
        )
        statement._state.adding = False
        statement._state.db = Statement.objects.db
        return statement


def _claim_adjustments(
    adjustments: list[Adjustment], drafts: dict[int, Locked]
) -> dict[int, list[Adjustment]]:
    """Per partner, the adjustments its draft lists, in order. An unapplied adjustment goes on
    the partner's next draft statement (the first whose period ends on or after the adjustment)
    and stays there."""
    claimed = []
    listed: dict[int, list[Adjustment]] = defaultdict(list)
    draft_ids = {s.pk for s in drafts.values()}
    for adjustment in adjustments:
        statement = drafts.get(adjustment.partner_id)
        if (
            adjustment.statement_id is None
            and statement is not None
            and _claims(
                statement.period_end, statement.currency, adjustment.currency, adjustment.created_at
            )
        ):
            adjustment.statement_id = statement.pk
            claimed.append(adjustment)
        if adjustment.statement_id in draft_ids:
            listed[adjustment.partner_id].append(adjustment)
    if claimed:
        Adjustment.objects.bulk_update(claimed, ["statement"])
    return listed


class LineLinks:
    """Rows of the apps above commissions that point at statement lines (a disputed line).

    A recompute deletes and rewrites a statement's lines; each app that links to them registers
    a keeper here from its AppConfig.ready(): `release(statements)` clears its links to those
    statements' lines and returns what it needs to restore them, `relink(state, new_lines)`
    points them at the rewritten lines. Commissions thus imports none of those apps."""

    keepers: list = []

    @classmethod
    def register(cls, keeper) -> None:
        if keeper not in cls.keepers:
            cls.keepers.append(keeper)


def line_key(line) -> tuple:
    """What identifies a statement line across a rewrite: its statement, kind and origin."""
    return (line.statement_id, line.kind, line.rule_id, line.adjustment_id, line.restates_id)


# What a recompute reads of the statements it locks (`Locked`): the rest (approval, payment,
# bank details) is never loaded.
LOCKED_FIELDS = [
    "id",
    "partner_id",
    "period",
    "period_start",
    "period_end",
    "currency",
    "status",
    "fingerprint",
    "computed_at",
    "carried_forward",
]

STATEMENT_FIELDS = [
    "fingerprint",
    "total",
    "net_sales",
    "target",
    "unmatched_count",
    "unmatched_amount",
    "computed_at",
    "carried_forward",
]


def _delete_lines(statements: list[Statement]) -> None:
    """Delete the lines of `statements` in one statement. Whatever points at them (a disputed
    case) was released by its keeper first, so nothing is loaded to look for it; the database's
    foreign keys still refuse to lose a line that something points at."""
    test, params = _Sql().member("statement_id", [s.pk for s in statements])
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {StatementLine._meta.db_table} WHERE {test}", params)  # noqa: S608


LINE_COLUMNS = [
    "statement_id",
    "position",
    "kind",
    "rule_id",
    "adjustment_id",
    "restates_id",
    "carried_from_id",
    "description",
    "volume",
    "quantity",
    "sale_count",
    "amount",
    "explanation",
]


def _insert_lines(lines: list[StatementLine]) -> None:
    """Insert the batch's new statement lines and give each its id: on PostgreSQL one INSERT
    per 5,000 lines with their values as they are (whole hundredths or the currency's minor
    unit, text, a JSON list), which Django's bulk_create would prepare field by field; else
    bulk_create."""
    if connection.vendor != "postgresql":
        StatementLine.objects.bulk_create(lines, batch_size=5000)
        return
    row = "(" + ", ".join(["%s"] * (len(LINE_COLUMNS) - 1)) + ", %s::jsonb)"
    for start in range(0, len(lines), 5000):
        chunk = lines[start : start + 5000]
        params = []
        for line in chunk:
            params += [
                line.statement_id,
                line.position,
                line.kind,
                line.rule_id,
                line.adjustment_id,
                line.restates_id,
                line.carried_from_id,
                line.description,
                line.volume,
                line.quantity,
                line.sale_count,
                line.amount,
                json.dumps(line.explanation),
            ]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {StatementLine._meta.db_table} ({', '.join(LINE_COLUMNS)}) "  # noqa: S608
                f"VALUES {', '.join([row] * len(chunk))} RETURNING id",
                params,
            )
            ids = cursor.fetchall()
        for line, (pk,) in zip(chunk, ids, strict=True):
            line.pk = pk
            line._state.adding = False
            line._state.db = connection.alias


def _update_statements(statements: list[Statement]) -> None:
    """One UPDATE for the batch: from a VALUES list on PostgreSQL, else Django's bulk_update."""
    if connection.vendor != "postgresql":
        Statement.objects.bulk_update(statements, STATEMENT_FIELDS, batch_size=500)
        return
    from psycopg2.extras import execute_values

    table = Statement._meta.db_table
    sql = f"""
        UPDATE {table} AS t SET total = v.total, net_sales = v.net_sales, target = v.target,
            unmatched_count = v.unmatched_count, unmatched_amount = v.unmatched_amount,
            computed_at = v.computed_at, updated_at = v.computed_at, fingerprint = v.fingerprint,
            carried_forward = v.carried_forward
        FROM (VALUES %s) AS v (id, total, net_sales, target, unmatched_count, unmatched_amount,
            computed_at, fingerprint, carried_forward)
        WHERE t.id = v.id
    """  # noqa: S608
    rows = [
        (
            s.pk,
            s.total,
            s.net_sales,
            s.target,
            s.unmatched_count,
            s.unmatched_amount,
            s.computed_at,
            s.fingerprint,
            s.carried_forward,
        )
        for s in statements
    ]
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            sql,
            rows,
            template="(%s, %s::numeric, %s::numeric, %s::numeric, %s::integer, %s::numeric, "
            "%s::timestamptz, %s, %s::numeric)",
            page_size=1000,
        )
