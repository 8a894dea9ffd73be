"""The engine's property and differential tests, with the plan options carry-forward and accrual
on payment: the total is the sum of the lines, a recompute is idempotent, the order of the rows
(sales and payments) changes nothing, the sales listed behind a line are those it counted, and
the set-based sums equal a reference that walks every line and its payments in Python."""

import datetime as dt
import itertools
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Product
from commissions import periods
from commissions.models import Payment, Rule, Sale, Statement
from commissions.services.compute import aggregate, plan_segments, recompute
from commissions.services.imports import sales_import
from commissions.services.payments import sale_paid_refresh

from .builders import csv_bytes, load, plan, program, snapshot
from .test_compute import (
    FIRST_DAY,
    LAST_DAY,
    PROPERTY_PLAN,
    PROPERTY_TARGETS,
    _csv_rows,
    _explained_counts,
    _in_rollback,
    rows,
)

pytestmark = pytest.mark.django_db
D = Decimal
MONTHS = ("2026-08", "2026-09", "2026-10", "2026-11")

OPTIONS_PLAN = {**PROPERTY_PLAN, "carry_forward": True, "accrual": "payment"}

# Per sale: unpaid, or paid in one or two instalments so many days after its invoice.
payments = st.lists(
    st.none() | st.tuples(st.integers(0, 45), st.none() | st.integers(1, 30)), min_size=12
)


@pytest.fixture
def options_program(db):
    load(program(commission_plans=[OPTIONS_PLAN], targets=PROPERTY_TARGETS))


def _payment_rows(plan_rows) -> list[tuple[str, dt.date, Decimal]]:
    """(external id, day, amount) of the payments of the imported sales by `plan_rows`."""
    out = []
    sales = dict(Sale.objects.filter(kind="sale").values_list("external_id", "invoice_date"))
    amounts = dict(Sale.objects.filter(kind="sale").values_list("external_id", "net_amount"))
    for n, entry in enumerate(plan_rows):
        external_id = f"S{n}"
        if entry is None or external_id not in sales:
            continue
        first, second = entry
        day = sales[external_id] + dt.timedelta(days=first)
        if second is None:
            out.append((external_id, day, amounts[external_id]))
        else:
            part = (amounts[external_id] / 2).quantize(D("0.01"))
            out.append((external_id, day, part))
            out.append((external_id, day + dt.timedelta(days=second), amounts[external_id] - part))
    return out


def _pay(payment_rows) -> None:
    ids = dict(Sale.objects.values_list("external_id", "pk"))
    for external_id, day, amount in payment_rows:
        if amount > 0:
            Payment.objects.get_or_create(sale_id=ids[external_id], paid_date=day, amount=amount)
    sale_paid_refresh(sale_ids=sorted({ids[e] for e, *_ in payment_rows}))


def _run(csv_rows, paid_plan, *, shuffle_seed=None):
    result = sales_import(content=csv_bytes(*csv_rows), filename="generated.csv")
    assert result.rejected == []
    payment_rows = _payment_rows(paid_plan)
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(payment_rows)
    _pay(payment_rows)
    for month in MONTHS:
        recompute(month_label=month)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=rows, paid=payments)
def test_property_with_the_options_total_is_the_sum_of_lines_and_recompute_is_idempotent(
    options_program, generated, paid
):
    def run():
        _run(_csv_rows(generated), paid)
        first = snapshot()
        for month in ("2026-10", "2026-08", "2026-11", "2026-09"):
            recompute(month_label=month)
        return first, snapshot(), _explained_counts(), _carried_chain()

    first, second, (computed, explained), chain = _in_rollback(run)

    assert explained == computed
    assert first == second
    for *_, total, _net, _target, _count, _unmatched, statement_lines in first:
        assert total == sum((line[6] for line in statement_lines), D("0"))
    # every negative total is carried into the statement right after it, and nothing else is
    for carried_out, carried_in in chain:
        assert carried_in == (carried_out if carried_out < 0 else D("0"))


def _carried_chain() -> list[tuple[Decimal, Decimal]]:
    """(total of a statement, carried line of the next one) for each consecutive pair."""
    out = []
    by_partner = defaultdict(list)
    for s in Statement.objects.prefetch_related("lines").order_by("period_start"):
        by_partner[s.partner_id].append(s)
    for statements in by_partner.values():
        for before, after in itertools.pairwise(statements):
            if after.period_start - dt.timedelta(days=1) != before.period_end:
                continue
            line = next((x for x in after.lines.all() if x.kind == "carried"), None)
            out.append((before.total, line.amount if line else D("0")))
    return out


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(generated=rows, paid=payments, data=st.data())
def test_property_with_the_options_row_order_does_not_change_any_statement(
    options_program, generated, paid, data
):
    csv_rows = _csv_rows(generated)
    shuffled = data.draw(st.permutations(csv_rows))
    seed = data.draw(st.integers(0, 1000))

    def run(ordered, shuffle_seed):
        def inner():
            _run(ordered, paid, shuffle_seed=shuffle_seed)
            return snapshot()

        return inner

    assert _in_rollback(run(csv_rows, None)) == _in_rollback(run(shuffled, seed))


# Differential: the set-based sums against a line-by-line reference ------------------------------


def _paid_on(sale: Sale) -> dt.date | None:
    if sale.net_amount == 0:
        return sale.invoice_date
    running = D("0")
    by_day = defaultdict(lambda: D("0"))
    for payment in sale.payments.all():
        by_day[payment.paid_date] += payment.amount
    for day in sorted(by_day):
        running += by_day[day]
        if running >= sale.net_amount:
            return day
    return None


def _reference(period: periods.Period) -> dict:
    segments = plan_segments(None)
    products = {p.pk: p for p in Product.objects.all()}
    rules = defaultdict(list)
    for rule in Rule.objects.order_by("priority"):
        rules[rule.version_id].append(rule)

    def governing(partner_id, day):
        for seg in segments.get(partner_id, []):
            if seg.start <= day <= seg.end:
                return seg.plan_version
        return None

    def matching(pv, product):
        for rule in rules[pv.pk]:
            if rule.product_id == product.pk or (
                rule.product_id is None and rule.line_id in (None, product.line_id)
            ):
                return rule
        return None

    result = defaultdict(lambda: defaultdict(lambda: [D("0"), D("0"), 0]))
    for line in Sale.objects.select_related("original").prefetch_related(
        "payments", "original__payments"
    ):
        original = line.original or line
        pv = governing(line.partner_id, original.invoice_date)
        day = line.invoice_date
        if pv is not None and pv.accrual == "payment":
            paid = _paid_on(original)
            day = None if paid is None else (paid if line.original_id is None else max(paid, day))
        if day is None or not (period.start <= day <= period.end):
            continue
        rule = matching(pv, products[line.product_id]) if pv else None
        key = rule.pk if rule else None
        if (
            rule
            and line.original_id
            and (line.invoice_date - original.invoice_date).days > (pv.clawback_days)
        ):
            key = "late"
        sign = -1 if line.original_id else 1
        bucket = result[line.partner_id][key]
        bucket[0] += sign * line.net_amount
        bucket[1] += sign * line.quantity
        bucket[2] += 1
    return {pid: dict(b) for pid, b in result.items()}


def _plain(sums) -> dict:
    out = {}
    for pid, s in sums.items():
        buckets = {rid: [b.volume, b.quantity, b.count] for rid, b in s.rules.items() if b.count}
        if s.unmatched.count:
            buckets[None] = [s.unmatched.volume, s.unmatched.quantity, s.unmatched.count]
        if s.late_returns.count:
            buckets["late"] = [s.late_returns.volume, s.late_returns.quantity, s.late_returns.count]
        if buckets:
            out[pid] = buckets
    return out


@pytest.mark.parametrize("seed", range(6))
def test_the_sums_under_accrual_on_payment_equal_the_reference(seed):
    rng = random.Random(seed)
    # P-ACME accrues on payment and carries forward, P-YEN stays on invoice accrual
    load(
        program(
            commission_plans=[OPTIONS_PLAN, plan(*PROPERTY_PLAN["rules"], code="INV")],
            agreements=[
                {
                    "number": "AG-A",
                    "partner": "P-ACME",
                    "plan": "STD",
                    "start": "2026-01-01",
                    "end": "2026-12-31",
                },
                {
                    "number": "AG-B",
                    "partner": "P-BETA",
                    "plan": "INV",
                    "start": "2026-01-01",
                    "end": "2026-12-31",
                },
            ],
        )
    )
    generated = [
        (
            rng.choice(["P-ACME", "P-BETA"]),
            rng.choice(["SW-24", "SW-48", "FW-1", "AP-1"]),
            rng.randrange((LAST_DAY - FIRST_DAY).days + 1),
            rng.randrange(1, 6),
            rng.randrange(1, 6_000_000),
            rng.choice([None, rng.randrange(0, 60)]),
        )
        for _ in range(rng.randrange(30, 70))
    ]
    paid = [
        rng.choice([None, (rng.randrange(0, 45), rng.choice([None, rng.randrange(1, 30)]))])
        for _ in generated
    ]
    _run(_csv_rows(generated), paid)
    segments = plan_segments(None)

    for label in MONTHS:
        period = periods.month(label)
        assert _plain(aggregate(period=period, partner_ids=None, segments=segments)) == (
            _reference(period)
        ), label
