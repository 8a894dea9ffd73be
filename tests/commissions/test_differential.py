"""The set-based recompute against a straightforward reference, on random data.

The reference walks every sales line in Python, as the spec states the rules (Commission,
steps 1-3): the plan of the agreement version in force on the line's date (a return: its
original sale's date), the first rule in priority order whose scope matches, a return counting
negative within the plan's clawback days. It sums per partner and rule, and the statements are
then what `compute_statement` makes of those sums (caps, accelerators and rounding). The data
has several plans, an agreement version and a plan version changing mid-month, partners with
no agreement, returns inside and outside the clawback window, caps and an accelerator."""

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from agreements.models import Agreement, AgreementVersion, Product
from commissions import periods
from commissions.models import Rule, Sale, Statement
from commissions.services import compute
from commissions.services.compute import (
    Bucket,
    PartnerSums,
    aggregate,
    plan_segments,
    recompute,
)
from commissions.services.recompute import recompute_request_create
from partners.models import Partner, Target

from .builders import load, plan, program

pytestmark = pytest.mark.django_db

D = Decimal
MONTHS = ("2026-08", "2026-09", "2026-10")
FIRST_DAY, LAST_DAY = dt.date(2026, 8, 1), dt.date(2026, 10, 31)

STD = plan(
    {"priority": 10, "sku": "SW-24", "kind": "per_unit", "amount": "100.00"},
    {
        "priority": 20,
        "line": "NET",
        "kind": "tiered_marginal",
        "brackets": [{"upto": "50000", "rate": "3"}, {"upto": None, "rate": "6"}],
    },
    {"priority": 30, "line": "SEC", "kind": "percent", "rate": "4"},
    cap="9000.00",
    clawback_days=30,
    accelerator={"threshold": "100", "multiplier": "1.5"},
)
ALT = plan(
    {"priority": 10, "line": "WLS", "kind": "percent", "rate": "7"},
    {
        "priority": 20,
        "kind": "tiered_flat",
        "brackets": [{"upto": "40000", "rate": "2"}, {"upto": None, "rate": "4"}],
    },
    code="ALT",
    clawback_days=45,
)
# STD changes in place from 20 October: SW-24 is no longer special, NET earns a flat 5%.
STD_LATER = plan(
    {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"},
    {"priority": 20, "line": "SEC", "kind": "percent", "rate": "4"},
    cap="9000.00",
    clawback_days=30,
    accelerator={"threshold": "100", "multiplier": "1.5"},
    effective_from="2026-10-20",
)
CODES = ("P-ACME", "P-BETA", "P-YEN", "P-GAMMA")


def _world(rng: random.Random) -> None:
    data = program(commission_plans=[STD, ALT])
    data["partners"].append({"code": "P-GAMMA", "name": "Gamma", "currency": "TWD"})
    data["agreements"].append(
        {
            "number": "AG-GAMMA",
            "partner": "P-GAMMA",
            "plan": "ALT",
            "start": "2026-09-10",
            "end": "2026-10-25",
        }
    )
    data["targets"] = [
        {"partner": "P-ACME", "period": "2026-10", "amount": "60000"},
        {"partner": "P-GAMMA", "period": "2026-09", "amount": "10000"},
    ]
    load(data)
    load(program(commission_plans=[STD_LATER, ALT]))
    # P-ACME moves to ALT on a random day of September or October.
    switch = dt.date(2026, 9, 1) + dt.timedelta(days=rng.randrange(61))
    AgreementVersion.objects.create(
        agreement=Agreement.objects.get(number="AG-ACME"),
        number=2,
        status=AgreementVersion.Status.ACCEPTED,
        effective_date=switch,
        in_force_from=switch,
        commission_plan="ALT",
        accepted_at=timezone.now(),
    )
    partners = {p.code: p for p in Partner.objects.filter(code__in=CODES)}
    products = list(Product.objects.order_by("sku"))
    sales = []
    for n in range(rng.randrange(60, 140)):
        owner = partners[rng.choice(CODES)]
        sales.append(
            Sale(
                external_id=f"S{n}",
                partner=owner,
                product=rng.choice(products),
                customer_name="C",
                invoice_date=FIRST_DAY + dt.timedelta(days=rng.randrange(92)),
                kind=Sale.Kind.SALE,
                quantity=D(rng.randrange(1, 6)),
                net_amount=D(rng.randrange(100, 4_000_000)) / 100,
                currency=owner.currency,
            )
        )
    Sale.objects.bulk_create(sales)
    returns = []
    for original in rng.sample(sales, len(sales) // 3):
        date = original.invoice_date + dt.timedelta(days=rng.randrange(0, 70))
        if date <= LAST_DAY:
            returns.append(
                Sale(
                    external_id=f"R{original.external_id}",
                    partner=original.partner,
                    product=original.product,
                    customer_name="C",
                    invoice_date=date,
                    kind=Sale.Kind.RETURN,
                    quantity=original.quantity,
                    net_amount=(original.net_amount * rng.choice([D("1"), D("0.5")])).quantize(
                        D("0.01")
                    ),
                    currency=original.currency,
                    original=original,
                )
            )
    Sale.objects.bulk_create(returns)
    assert Target.objects.exists()


def _reference(period: periods.Period) -> dict[int, PartnerSums]:
    """Per partner, the sums of the period's lines, one line at a time."""
    segments = plan_segments(None)
    products = {p.pk: p for p in Product.objects.all()}
    rules: dict[int, list[Rule]] = defaultdict(list)
    for rule in Rule.objects.order_by("priority"):
        rules[rule.version_id].append(rule)

    def governing(partner_id: int, day: dt.date):
        for seg in segments.get(partner_id, []):
            if seg.start <= day <= seg.end:
                return seg.plan_version
        return None

    def matching(pv, product) -> Rule | None:
        for rule in rules[pv.pk]:
            if rule.product_id == product.pk:
                return rule
            if rule.product_id is None and rule.line_id == product.line_id:
                return rule
            if rule.product_id is None and rule.line_id is None:
                return rule
        return None

    result: dict[int, PartnerSums] = defaultdict(PartnerSums)
    lines = Sale.objects.filter(invoice_date__range=(period.start, period.end)).select_related(
        "original"
    )
    for line in lines:
        sums = result[line.partner_id]
        sign = -1 if line.kind == Sale.Kind.RETURN else 1
        day = line.original.invoice_date if line.original_id else line.invoice_date
        pv = governing(line.partner_id, day)
        rule = matching(pv, products[line.product_id]) if pv else None
        if rule is None:
            bucket = sums.unmatched
        elif line.original_id and (line.invoice_date - day).days > pv.clawback_days:
            bucket = sums.late_returns
        else:
            bucket = sums.rules[rule.pk]
        bucket.volume += sign * line.net_amount
        bucket.quantity += sign * line.quantity
        bucket.count += 1
        sums.net_sales += sign * line.net_amount
    return result


def _plain(sums: dict[int, PartnerSums]) -> dict:
    def bucket(b: Bucket) -> tuple:
        return (b.volume, b.quantity, b.count)

    return {
        pid: (
            {rid: bucket(b) for rid, b in s.rules.items() if b.count},
            bucket(s.unmatched),
            bucket(s.late_returns),
            s.net_sales,
        )
        for pid, s in sums.items()
    }


def _statements() -> dict:
    return {
        (s.partner.code, s.period): (
            s.total,
            s.net_sales,
            s.unmatched_count,
            s.unmatched_amount,
            [(line.kind, line.rule_id, line.amount) for line in s.lines.order_by("position")],
        )
        for s in Statement.objects.select_related("partner")
    }


def _expected_statements() -> dict:
    """The statements `compute_statement` makes of the reference sums."""
    expected = {}
    segments = plan_segments(None)
    rules = {r.pk: r for r in Rule.objects.select_related("product", "line", "version")}
    for label in MONTHS:
        period = periods.month(label)
        sums = _reference(period)
        targets = compute._targets(list(sums), period)
        for partner_id, partner_sums in sums.items():
            partner = Partner.objects.get(pk=partner_id)
            computed = compute.compute_statement(
                currency=partner.currency,
                sums=partner_sums,
                plan=compute._statement_plan(segments.get(partner_id, []), period),
                rules=rules,
                target=targets.get(partner_id),
                adjustments=[],
            )
            expected[(partner.code, label)] = (
                computed.total,
                computed.net_sales,
                computed.unmatched.count,
                computed.unmatched.volume,
                [(line["kind"], line.get("rule_id"), line["amount"]) for line in computed.lines],
            )
    return expected


@pytest.mark.parametrize("seed", range(8))
def test_the_aggregate_and_the_statements_equal_the_reference(seed):
    _world(random.Random(seed))
    segments = plan_segments(None)

    for label in MONTHS:
        period = periods.month(label)
        assert _plain(aggregate(period=period, partner_ids=None, segments=segments)) == _plain(
            _reference(period)
        ), label
        recompute(month_label=label)

    assert _statements() == _expected_statements()


@pytest.mark.parametrize("seed", range(3))
def test_a_recompute_spread_over_batches_writes_the_same_statements(
    seed, monkeypatch, django_capture_on_commit_callbacks
):
    _world(random.Random(seed))
    for label in MONTHS:
        recompute(month_label=label)
    expected = _statements()
    Statement.objects.all().delete()

    # A batch per partner: every request is spread over tasks (run at once, eagerly, here).
    monkeypatch.setattr("commissions.services.recompute.FAN_OUT_PARTNERS", 1)
    for label in MONTHS:
        with django_capture_on_commit_callbacks(execute=True):
            request = recompute_request_create(period=label, reason="test")
        request.refresh_from_db()
        assert request.status == "done"
        assert request.batches.count() == request.total_partners > 1
        assert request.done_partners == request.total_partners

    assert _statements() == expected


def test_a_request_spread_over_batches_with_nobody_to_recompute_ends_done(
    monkeypatch, django_capture_on_commit_callbacks
):
    load(program(commission_plans=[STD]))
    monkeypatch.setattr("commissions.services.recompute.FAN_OUT_PARTNERS", 1)

    with django_capture_on_commit_callbacks(execute=True):
        request = recompute_request_create(period="2026-05", reason="test")

    request.refresh_from_db()
    assert request.status == "done"
    assert not request.batches.exists()
