"""The funds rules against hand-computed figures (spec "funds")."""

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import Adjustment
from funds.models import FundClaim, FundRequest
from funds.selectors import budget_balance, budgets_with_balance
from funds.services import (
    fund_claim_decide,
    fund_claim_submit,
    fund_request_cancel,
    fund_request_create,
    fund_request_decide,
    fund_requests_expire,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event

from .conftest import make_fund, proof

D = Decimal
END = dt.date(2027, 3, 31)
DEADLINE = END + dt.timedelta(days=60)  # 2027-05-30


def request(world, budget, amount="1000.00", planned="2000.00", **values):
    fields = {
        "kind": "event",
        "description": "Launch seminar in Taipei",
        "start": dt.date(2027, 3, 1),
        "end": END,
        **values,
    }
    return fund_request_create(
        actor=world.users["partner_sales"],
        budget=budget,
        planned_cost=D(planned),
        amount=D(amount),
        **fields,
    )


def approve(world, req, amount=None):
    return fund_request_decide(
        actor=world.users["vendor_admin"], request=req, decision="approve", amount=amount
    )


def balance(budget):
    b = budget_balance(budget)
    return (b.pending, b.committed, b.reimbursed, b.available)


def test_request_at_half_the_planned_cost_rounds_half_up(world, budget):
    # 333.33 × 50% = 166.665 → 166.67 (half-up); 166.68 is over.
    with pytest.raises(DomainError) as over:
        request(world, budget, amount="166.68", planned="333.33")
    assert over.value.field == "amount"
    assert "50% of the planned cost (166.67 TWD)" in over.value.message
    made = request(world, budget, amount="166.67", planned="333.33")
    assert made.status == "pending"
    assert made.deadline == DEADLINE
    assert balance(budget) == (D("166.67"), 0, 0, D("199833.33"))


def test_request_exactly_at_available_and_one_cent_over(world):
    budget = make_fund(partner=world.partner, amount=D("10000.00")).budgets.get()
    first = request(world, budget, amount="6000.00", planned="20000.00")
    approve(world, first, amount=D("5999.99"))
    assert balance(budget) == (0, D("5999.99"), 0, D("4000.01"))
    with pytest.raises(DomainError) as over:
        request(world, budget, amount="4000.02", planned="20000.00")
    assert over.value.field == "amount"
    assert "available balance (4000.01 TWD)" in over.value.message
    request(world, budget, amount="4000.01", planned="20000.00")
    assert balance(budget) == (D("4000.01"), D("5999.99"), 0, 0)
    with pytest.raises(DomainError):
        request(world, budget, amount="0.01", planned="20000.00")


def test_dates_must_lie_inside_the_fund(world, budget):
    with pytest.raises(DomainError) as early:
        request(world, budget, start=dt.date(2026, 12, 31))
    assert early.value.field == "start"
    with pytest.raises(DomainError) as late:
        request(world, budget, end=dt.date(2027, 7, 1))
    assert late.value.field == "end"
    with pytest.raises(DomainError) as backwards:
        request(world, budget, start=dt.date(2027, 4, 2))
    assert backwards.value.field == "end"
    assert not FundRequest.objects.exists()


def test_decision_approves_at_most_the_requested_amount_or_rejects_with_reason(world, budget):
    req = request(world, budget)
    with pytest.raises(DomainError) as over:
        approve(world, req, amount=D("1000.01"))
    assert over.value.field == "amount"
    with pytest.raises(DomainError) as no_reason:
        fund_request_decide(
            actor=world.users["vendor_admin"], request=req, decision="reject", reason=" "
        )
    assert no_reason.value.field == "reason"
    fund_request_decide(
        actor=world.users["vendor_admin"], request=req, decision="reject", reason="Out of scope"
    )
    req.refresh_from_db()
    assert (req.status, req.decision_reason, req.decided_by) == (
        "rejected",
        "Out of scope",
        world.users["vendor_admin"],
    )
    assert req.decided_at is not None
    assert balance(budget) == (0, 0, 0, D("200000.00"))
    with pytest.raises(InvalidTransitionError):
        approve(world, req)


def test_claim_reimburses_the_smaller_of_approved_and_actual_share(world, budget):
    req = approve(world, request(world, budget), amount=D("900.00"))
    # Actual 1500.01 × 50% = 750.005 → 750.01 (half-up), below the 900.00 approved.
    claim = fund_claim_submit(
        actor=world.users["partner_admin"],
        request=req,
        actual_cost=D("1500.01"),
        files=[proof()],
        today=END + dt.timedelta(days=1),
    )
    assert claim.reimbursement == D("750.01")
    assert claim.files.get().name == "proof.pdf"
    # A larger actual cost is capped at the approved amount.
    fund_claim_decide(
        actor=world.users["vendor_admin"], claim=claim, decision="return", reason="Invoice?"
    )
    again = fund_claim_submit(
        actor=world.users["partner_admin"],
        request=req,
        actual_cost=D("5000.00"),
        files=[proof("invoice.png", b"\x89PNG\r\n\x1a\n...")],
        today=DEADLINE,
    )
    assert again.reimbursement == D("900.00")


def test_claim_window_is_after_the_end_and_by_the_deadline(world, budget):
    req = approve(world, request(world, budget))
    for today, word in (
        (END, "after the activity ends"),
        (DEADLINE + dt.timedelta(days=1), "deadline"),
    ):
        with pytest.raises(DomainError) as refused:
            fund_claim_submit(
                actor=world.users["partner_admin"],
                request=req,
                actual_cost=D("2000.00"),
                files=[proof()],
                today=today,
            )
        assert word in refused.value.message
    with pytest.raises(DomainError) as no_file:
        fund_claim_submit(
            actor=world.users["partner_admin"],
            request=req,
            actual_cost=D("2000.00"),
            files=[],
            today=DEADLINE,
        )
    assert no_file.value.field == "files"
    with pytest.raises(DomainError) as bad_file:
        fund_claim_submit(
            actor=world.users["partner_admin"],
            request=req,
            actual_cost=D("2000.00"),
            files=[proof("proof.pdf", b"MZ not a pdf")],
            today=DEADLINE,
        )
    assert bad_file.value.field == "files"
    assert not FundClaim.objects.exists()
    # One day after the deadline the request expires and its money is available again.
    assert balance(budget) == (0, D("1000.00"), 0, D("199000.00"))
    assert fund_requests_expire(today=DEADLINE) == 0
    assert fund_requests_expire(today=DEADLINE + dt.timedelta(days=1)) == 1
    assert fund_requests_expire(today=DEADLINE + dt.timedelta(days=1)) == 0
    req.refresh_from_db()
    assert req.status == "expired"
    assert balance(budget) == (0, 0, 0, D("200000.00"))


def test_returned_then_corrected_claim_settles_with_an_adjustment(world, budget):
    req = approve(world, request(world, budget, amount="1000.00", planned="2000.00"))
    first = fund_claim_submit(
        actor=world.users["partner_sales"],
        request=req,
        actual_cost=D("1800.00"),
        files=[proof()],
        today=dt.date(2027, 4, 10),
    )
    assert first.reimbursement == D("900.00")
    with pytest.raises(InvalidTransitionError):
        fund_claim_submit(
            actor=world.users["partner_sales"],
            request=req,
            actual_cost=D("1800.00"),
            files=[proof()],
            today=dt.date(2027, 4, 10),
        )
    fund_claim_decide(
        actor=world.users["vendor_admin"],
        claim=first,
        decision="return",
        reason="The invoice is missing",
    )
    # A claim awaiting review or returned keeps the money committed.
    assert balance(budget) == (0, D("1000.00"), 0, D("199000.00"))
    second = fund_claim_submit(
        actor=world.users["partner_sales"],
        request=req,
        actual_cost=D("1700.00"),
        files=[proof(), proof("invoice.txt", "發票 1700".encode())],
        today=dt.date(2027, 5, 2),
    )
    assert second.files.count() == 2
    fund_claim_decide(actor=world.users["vendor_admin"], claim=second, decision="approve")
    second.refresh_from_db()
    req.refresh_from_db()
    assert (second.status, req.status, req.reimbursed) == ("approved", "settled", D("850.00"))
    # The unused 150.00 of the approved 1000.00 is available again.
    assert balance(budget) == (0, 0, D("850.00"), D("199150.00"))
    adjustment = Adjustment.objects.get()
    assert adjustment == second.adjustment
    assert (adjustment.partner, adjustment.amount, adjustment.currency) == (
        world.partner,
        D("850.00"),
        "TWD",
    )
    assert adjustment.source_label == f"MDF-27H1 {req.number}"
    assert adjustment.source_url == f"/funds/requests/{req.pk}/"
    assert "MDF-27H1" in adjustment.reason
    assert "Launch seminar in Taipei" in adjustment.reason
    assert adjustment.fund_claim == second
    with pytest.raises(InvalidTransitionError):
        fund_claim_decide(actor=world.users["vendor_admin"], claim=second, decision="approve")
    assert Adjustment.objects.count() == 1
    verbs = list(
        Event.objects.filter(target_id=str(req.pk), verb__startswith="fund_")
        .order_by("pk")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "fund_request.created",
        "fund_request.approved",
        "fund_claim.submitted",
        "fund_claim.returned",
        "fund_claim.submitted",
        "fund_claim.approved",
    ]


def test_a_claim_awaiting_review_holds_off_expiry(world, budget):
    req = approve(world, request(world, budget))
    claim = fund_claim_submit(
        actor=world.users["partner_admin"],
        request=req,
        actual_cost=D("2000.00"),
        files=[proof()],
        today=DEADLINE,
    )
    assert fund_requests_expire(today=DEADLINE + dt.timedelta(days=5)) == 0
    fund_claim_decide(
        actor=world.users["vendor_admin"], claim=claim, decision="return", reason="Blurry"
    )
    assert fund_requests_expire(today=DEADLINE + dt.timedelta(days=5)) == 1


def test_cancel_returns_the_money(world, budget):
    req = request(world, budget)
    fund_request_cancel(actor=world.users["partner_sales"], request=req)
    assert balance(budget) == (0, 0, 0, D("200000.00"))
    with pytest.raises(InvalidTransitionError):
        fund_request_cancel(actor=world.users["partner_sales"], request=req)


def test_tier_fund_gives_each_partner_of_the_tier_its_own_budget(world):
    from tests.factories import PartnerFactory

    hk = PartnerFactory(tier=world.partner.tier, currency="HKD")
    fund = make_fund(tier=world.partner.tier, amount=D("5000.00"))
    budgets = {b.partner: b for b in fund.budgets.all()}
    assert world.partner in budgets
    assert hk in budgets
    assert world.other_partner not in budgets or world.other_partner.tier == world.partner.tier
    assert (budgets[hk].amount, budgets[hk].currency) == (D("5000.00"), "HKD")
    request(world, budgets[world.partner], amount="5000.00", planned="10000.00")
    assert balance(budgets[hk]) == (0, 0, 0, D("5000.00"))
    assert balance(budgets[world.partner]) == (D("5000.00"), 0, 0, 0)


def test_balances_of_many_budgets_in_one_query(world, django_assert_num_queries):
    from tests.factories import PartnerFactory

    partners = [PartnerFactory(tier=world.partner.tier) for _ in range(5)]
    fund = make_fund(tier=world.partner.tier, amount=D("1000.00"))
    for i, partner in enumerate(partners):
        budget = fund.budgets.get(partner=partner)
        req = request(world, budget, amount=str(100 + i), planned="1000.00")
        if i % 2:
            approve(world, req)
    with django_assert_num_queries(1):
        rows = {b.partner_id: b.available for b in budgets_with_balance()}
    assert [rows[p.pk] for p in partners] == [D(900 - i) for i in range(5)]
