"""Late data for a closed period (spec: "Money in any currency, paid on time").

An approved or paid statement never changes. When its period, recomputed now with the same
engine, gives a different amount under a rule (or the cap) than the statement holds plus the
restatements already issued for it, the difference becomes a restatement line on the partner's
earliest draft statement after it ("2026-10 restated, Networking: +5,000.00"). The draft's own
recompute recomputes those lines, so they are idempotent and nothing is counted twice: each
draft takes what the period gives now, less what was approved and what other statements
already carry for it.

The arithmetic runs on the same per-rule sums as every statement (tiers, accelerator and cap
move with the period's totals), never on the late lines alone; the late lines are only listed
behind the line, as those imported after the last approval that settled the period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max

from prm.core.lookups import Ids

from .. import periods
from ..models import PlanVersion, Rule, Statement, StatementLine
from .compute import (
    PartnerSums,
    Segment,
    _fmt,
    _statement_plan,
    _targets,
    aggregate,
    compute_statement,
)

ZERO = Decimal("0")
CAP = ("cap", None)
# How far ahead a new draft for a restatement may be looked for (periods skipped because their
# statement is already approved).
MAX_PERIODS_AHEAD = 36

Key = tuple[str, int | None]


def _key(kind: str, rule_id: int | None) -> Key:
    return ("rule", rule_id) if kind == StatementLine.Kind.RULE or rule_id else CAP


@dataclass
class Paid:
    """What statements already hold for one closed period under one rule (or its cap)."""

    approved: Decimal = ZERO
    earlier: Decimal = ZERO
    volume: Decimal = ZERO
    quantity: Decimal = ZERO
    count: int = 0

    @property
    def amount(self) -> Decimal:
        return self.approved + self.earlier


def _rules(rule_ids) -> dict[int, Rule]:
    return {
        r.pk: r
        for r in Rule.objects.filter(pk__in=set(rule_ids)).select_related(
            "product", "line", "version"
        )
    }


def now_lines(
    period: periods.Period,
    statements: list[Statement],
    segments: dict[int, list[Segment]],
    *,
    sums: dict[int, PartnerSums] | None = None,
    rules: dict[int, Rule] | None = None,
    targets: dict[int, Decimal] | None = None,
) -> dict[int, dict[Key, dict]]:
    """Per closed statement of `period`, what the period gives now: {statement id: {key: line}}.
    Adjustments stay on the statement that took them and are never restated."""
    partner_ids = sorted({s.partner_id for s in statements})
    if sums is None:
        sums = aggregate(period=period, partner_ids=partner_ids, segments=segments)
    if rules is None:
        rules = _rules(rid for pid in partner_ids for rid in getattr(sums.get(pid), "rules", ()))
    if targets is None:
        targets = _targets(partner_ids, period)
    result = {}
    for statement in statements:
        pid = statement.partner_id
        computed = compute_statement(
            currency=statement.currency,
            sums=sums.get(pid, PartnerSums()),
            plan=_statement_plan(segments.get(pid, []), period),
            rules=rules,
            target=targets.get(pid),
            adjustments=[],
        )
        result[statement.pk] = {
            _key(line["kind"], line.get("rule_id")): line for line in computed.lines
        }
    return result


def paid_so_far(restated_ids: list[int], *, exclude: set[int]) -> dict[int, dict[Key, Paid]]:
    """Per closed statement, its own rule and cap lines plus the restatement lines for it on
    other statements, approved or draft (those in `exclude` left out)."""
    result: dict[int, dict[Key, Paid]] = defaultdict(lambda: defaultdict(Paid))
    own = StatementLine.objects.filter(
        statement_id__in=restated_ids,
        kind__in=[StatementLine.Kind.RULE, StatementLine.Kind.CAP],
    ).values_list("statement_id", "kind", "rule_id", "amount", "volume", "quantity", "sale_count")
    later = (
        StatementLine.objects.filter(
            restates_id__in=restated_ids, kind=StatementLine.Kind.RESTATEMENT
        )
        .exclude(statement_id__in=exclude)
        .values_list("restates_id", "kind", "rule_id", "amount", "volume", "quantity", "sale_count")
    )
    for rows, is_own in ((own, True), (later, False)):
        for sid, kind, rule_id, amount, volume, quantity, count in rows:
            paid = result[sid][_key(kind, rule_id)]
            if is_own:
                paid.approved += amount
            else:
                paid.earlier += amount
            paid.volume += volume or ZERO
            paid.quantity += quantity or ZERO
            paid.count += count
    return result


def unsettled(closed: list[Statement], now: dict[int, dict[Key, dict]]) -> list[Statement]:
    """The closed statements whose period now gives other amounts than all statements hold."""
    paid = paid_so_far([s.pk for s in closed], exclude=set())
    out = []
    for statement in closed:
        lines, held = now.get(statement.pk, {}), paid.get(statement.pk, {})
        for key in set(lines) | set(held):
            now_amount = lines[key]["amount"] if key in lines else ZERO
            if now_amount != (held[key].amount if key in held else ZERO):
                out.append(statement)
                break
    return out


# Routing ----------------------------------------------------------------------------------------


def _period_for(
    day: dt.date, partner_segments: list[Segment]
) -> periods.Period:  # the settlement period containing `day` under the plan then in force
    month = periods.month(periods.month_of(day))
    plan = _statement_plan(partner_segments, month)
    if plan is not None and plan.settlement == PlanVersion.Settlement.QUARTER:
        return periods.quarter_of(month.label)
    return month


def targets(
    closed: list[Statement], segments: dict[int, list[Segment]], today: dt.date
) -> dict[str, dict[int, set[int]]]:
    """Where each closed statement's difference goes: {period label: {partner: {statement ids}}}.
    The partner's earliest draft after the period; without one, a new draft for the period
    containing today (or the first one after the closed period), skipping periods whose
    statement is already approved, as the engine opens the current period's draft."""
    partner_ids = {s.partner_id for s in closed}
    first_end = min(s.period_end for s in closed)
    later_statements = list(
        Statement.objects.filter(partner_id__in=partner_ids, period_end__gt=first_end)
        .only("partner_id", "period", "period_start", "period_end", "status")
        .order_by("period_start", "period")
    )
    plan: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for statement in closed:
        later = [
            s
            for s in later_statements
            if s.partner_id == statement.partner_id and s.period_start > statement.period_end
        ]
        draft = next((s for s in later if s.status == Statement.Status.DRAFT), None)
        if draft is not None:
            label = draft.period
        else:
            taken = {s.period for s in later}
            day = max(today, statement.period_end + dt.timedelta(days=1))
            for _ in range(MAX_PERIODS_AHEAD):
                period = _period_for(day, segments.get(statement.partner_id, []))
                if period.start > statement.period_end and period.label not in taken:
                    break
                day = period.end + dt.timedelta(days=1)
            label = period.label
        plan[label][statement.partner_id].add(statement.pk)
    return plan


# The lines on a draft -----------------------------------------------------------------------------


def _since(restated: list[Statement]) -> dict[int, dt.datetime | None]:
    """Per closed statement, the last approval that settled its period: its own, or that of a
    later statement carrying a restatement of it. Lines imported after it are the late ones."""
    later = dict(
        StatementLine.objects.filter(restates__in=restated, kind=StatementLine.Kind.RESTATEMENT)
        .exclude(statement__status=Statement.Status.DRAFT)
        .values_list("restates_id")
        .annotate(last=Max("statement__approved_at"))
    )
    result = {}
    for statement in restated:
        moments = [m for m in (statement.approved_at, later.get(statement.pk)) if m is not None]
        result[statement.pk] = max(moments) if moments else None
    return result


def _scope(key: Key, rules: dict[int, Rule]) -> str:
    return "cap" if key == CAP else rules[key[1]].scope_label


def _order(key: Key, rules: dict[int, Rule]) -> tuple:
    if key == CAP:
        return (1, dt.date.max, 0, 0)
    rule = rules[key[1]]
    return (0, rule.version.effective_from, rule.priority, rule.pk)


def _signed(amount: Decimal, places: int) -> str:
    return f"{'+' if amount >= 0 else '−'}{_fmt(abs(amount), places)}"


def draft_lines(
    drafts: dict[int, Statement],
    hints: dict[int, set[int]],
    segments: dict[int, list[Segment]],
    places: dict[str, int],
) -> dict[int, list[dict]]:
    """Per partner, the restatement lines of its draft: for every closed period the draft
    already restates or is asked to (`hints`), what the period gives now less what the closed
    statement and other statements hold, per rule and cap; zero differences give no line."""
    wanted: dict[int, set[int]] = defaultdict(set)
    by_statement = {s.pk: pid for pid, s in drafts.items()}
    for statement_id, restated_id in (
        StatementLine.objects.filter(
            statement_id__any_of=Ids(list(by_statement)), kind=StatementLine.Kind.RESTATEMENT
        )
        .order_by()
        .values_list("statement_id", "restates_id")
    ):
        wanted[by_statement[statement_id]].add(restated_id)
    for pid, ids in hints.items():
        if pid in drafts:
            wanted[pid] |= ids
    if not wanted:
        return {}
    restated = [
        s
        for s in Statement.objects.filter(pk__in={i for ids in wanted.values() for i in ids})
        .exclude(status=Statement.Status.DRAFT)
        .order_by("period_start", "period")
        if s.partner_id in drafts
        and s.pk in wanted[s.partner_id]
        and s.period_end < drafts[s.partner_id].period_start
        and s.currency == drafts[s.partner_id].currency
    ]
    if not restated:
        return {}
    by_period: dict[str, list[Statement]] = defaultdict(list)
    for statement in restated:
        by_period[statement.period].append(statement)
    now: dict[int, dict[Key, dict]] = {}
    for label, statements in by_period.items():
        now.update(now_lines(periods.parse(label), statements, segments))
    paid = paid_so_far([s.pk for s in restated], exclude={s.pk for s in drafts.values()})
    rules = _rules(
        key[1]
        for sid in now.keys() | paid.keys()
        for key in (*now.get(sid, {}), *paid.get(sid, {}))
        if key != CAP
    )
    since = _since(restated)
    result: dict[int, list[dict]] = defaultdict(list)
    for statement in restated:
        lines = _differences(
            statement,
            now.get(statement.pk, {}),
            paid.get(statement.pk, {}),
            rules,
            since[statement.pk],
            places[statement.currency],
        )
        result[statement.partner_id].extend(lines)
    return result


def _differences(
    statement: Statement,
    lines: dict[Key, dict],
    held: dict[Key, Paid],
    rules: dict[int, Rule],
    since: dt.datetime | None,
    places: int,
) -> list[dict]:
    out = []
    for key in sorted(set(lines) | set(held), key=lambda k: _order(k, rules)):
        line, paid = lines.get(key, {}), held.get(key, Paid())
        now_amount = line.get("amount", ZERO)
        difference = now_amount - paid.amount
        if difference == ZERO:
            continue
        scope = _scope(key, rules)
        volume = None if key == CAP else (line.get("volume") or ZERO) - paid.volume
        quantity = None if key == CAP else (line.get("quantity") or ZERO) - paid.quantity
        count = 0 if key == CAP else max(0, line.get("sale_count", 0) - paid.count)
        out.append(
            {
                "kind": StatementLine.Kind.RESTATEMENT,
                "rule_id": key[1],
                "restates_id": statement.pk,
                "description": (
                    f"{statement.period} restated, {scope}: {_signed(difference, places)}"
                ),
                "volume": volume,
                "quantity": quantity,
                "sale_count": count,
                "amount": difference,
                "explanation": [
                    {
                        "label": "restated",
                        "period": statement.period,
                        "statement": statement.pk,
                        "scope": "cap" if key == CAP else "rule",
                        "now": str(now_amount),
                        "approved": str(paid.approved),
                        "earlier": str(paid.earlier),
                        "since": since.isoformat() if since else None,
                    }
                ],
            }
        )
    return out
