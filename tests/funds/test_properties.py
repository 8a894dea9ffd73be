"""Hypothesis: whatever the order of requests, decisions, claims, cancellations and expiries,
a budget's available balance never goes below zero, and the four parts always add up."""

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funds.models import FundRequest
from funds.selectors import budget_balance
from funds.services import (
    fund_claim_decide,
    fund_claim_submit,
    fund_request_cancel,
    fund_request_create,
    fund_request_decide,
    fund_requests_expire,
)
from prm.core.errors import DomainError

from .conftest import make_fund, proof

D = Decimal
END = dt.date(2027, 3, 31)
cents = st.integers(1, 60_000).map(lambda n: D(n) / 100)
index = st.integers(0, 7)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("request"), cents, st.integers(1, 3)),
        st.tuples(st.just("approve"), index, st.integers(1, 100)),
        st.tuples(st.just("reject"), index),
        st.tuples(st.just("cancel"), index),
        st.tuples(st.just("claim"), index, cents),
        st.tuples(st.just("approve_claim"), index),
        st.tuples(st.just("return_claim"), index),
        st.tuples(st.just("expire"), st.integers(0, 70)),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_available_never_below_zero(world, ops):
    vendor, sales = world.users["vendor_admin"], world.users["partner_sales"]
    # Each example runs in a savepoint rolled back at its end, so examples never see each other.
    with transaction.atomic():
        budget = make_fund(partner=world.partner, amount=D("1000.00")).budgets.get()
        made: list[FundRequest] = []
        for op in ops:
            with contextlib.suppress(DomainError):
                _apply(op, budget, made, vendor, sales)
            b = budget_balance(budget)
            assert b.available >= 0, (op, b.available)
            assert min(b.pending, b.committed, b.reimbursed) >= 0
            assert b.pending + b.committed + b.reimbursed + b.available == b.amount
        transaction.set_rollback(True)


def _apply(op, budget, made, vendor, sales):
    kind = op[0]
    if kind == "request":
        amount, factor = op[1], op[2]
        made.append(
            fund_request_create(
                actor=sales,
                budget=budget,
                kind="event",
                description="Seminar",
                start=dt.date(2027, 3, 1),
                end=END,
                planned_cost=amount * factor,
                amount=amount,
            )
        )
        return
    if kind == "expire":
        fund_requests_expire(today=END + dt.timedelta(days=op[1]))
        return
    if not made:
        return
    req = made[op[1] % len(made)]
    req.refresh_from_db()
    if kind == "approve":
        share = (req.amount * op[2] / 100).quantize(D("0.01")) or D("0.01")
        fund_request_decide(actor=vendor, request=req, decision="approve", amount=share)
    elif kind == "reject":
        fund_request_decide(actor=vendor, request=req, decision="reject", reason="No")
    elif kind == "cancel":
        fund_request_cancel(actor=sales, request=req)
    elif kind == "claim":
        fund_claim_submit(
            actor=sales,
            request=req,
            actual_cost=op[2],
            files=[proof()],
            today=END + dt.timedelta(days=1),
        )
    else:
        claim = req.claims.filter(status="submitted").first()
        if claim is not None:
            decision = "approve" if kind == "approve_claim" else "return"
            fund_claim_decide(actor=vendor, claim=claim, decision=decision, reason="Fix it")
