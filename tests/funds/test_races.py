"""Races on PostgreSQL, each repeated 20 times: two vendor staff deciding one request or one
claim at once approve it once; two requests for the last money of a budget pass once."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from commissions.models import Adjustment
from funds.models import FundRequest
from funds.selectors import budget_balance
from funds.services import (
    fund_claim_decide,
    fund_claim_submit,
    fund_request_create,
    fund_request_decide,
)
from prm.core.errors import DomainError, InvalidTransitionError
from prm.core.models import Event
from tests.factories import (
    MembershipFactory,
    PartnerFactory,
    UserFactory,
    VendorAdminFactory,
)
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

from .conftest import make_fund, proof

pytestmark = POSTGRESQL
D = Decimal
RACES = range(20)
_codes = itertools.count(1)
END = dt.date(2027, 3, 31)


@pytest.fixture(scope="module")
def staff(committed):  # noqa: F811
    return (
        VendorAdminFactory(email="boss@vendor.test"),
        VendorAdminFactory(email="second@vendor.test"),
    )


@pytest.fixture
def setting(staff):
    n = next(_codes)
    partner = PartnerFactory(code=f"P-MDF-{n}")
    sales = UserFactory(email=f"sales-{n}@race.test")
    MembershipFactory(user=sales, partner=partner, role="sales")
    budget = make_fund(partner=partner, code=f"MDF-R{n}", amount=D("1000.00")).budgets.get()
    return budget, sales


def _request(budget, sales, amount="600.00"):
    return fund_request_create(
        actor=sales,
        budget=budget,
        kind="event",
        description="Roadshow",
        start=dt.date(2027, 3, 1),
        end=END,
        planned_cost=D("5000.00"),
        amount=D(amount),
    )


@pytest.mark.reliability("concurrency", "2 parallel approvals of one fund request")
@pytest.mark.parametrize("attempt", RACES)
def test_two_staff_approving_one_request_approve_once(setting, staff, attempt):
    budget, sales = setting
    req = _request(budget, sales)
    first, second = staff
    outcome = run_parallel(
        lambda: fund_request_decide(actor=first, request=req, decision="approve"),
        lambda: fund_request_decide(
            actor=second, request=req, decision="approve", amount=D("500.00")
        ),
    )
    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert [type(e) for e in outcome.refused] == [InvalidTransitionError]
    req.refresh_from_db()
    assert req.status == "approved"
    assert Event.objects.filter(verb="fund_request.approved", target_id=str(req.pk)).count() == 1
    assert budget_balance(budget).committed == req.approved_amount


@pytest.mark.reliability("concurrency", "2 parallel approvals of one fund claim")
@pytest.mark.parametrize("attempt", RACES)
def test_two_staff_approving_one_claim_approve_once(setting, staff, attempt):
    budget, sales = setting
    req = _request(budget, sales)
    fund_request_decide(actor=staff[0], request=req, decision="approve")
    claim = fund_claim_submit(
        actor=sales,
        request=req,
        actual_cost=D("1000.00"),
        files=[proof()],
        today=END + dt.timedelta(days=1),
    )
    outcome = run_parallel(
        *[
            lambda who=who: fund_claim_decide(actor=who, claim=claim, decision="approve")
            for who in staff
        ]
    )
    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert [type(e) for e in outcome.refused] == [InvalidTransitionError]
    assert Adjustment.objects.filter(partner=budget.partner).count() == 1
    assert FundRequest.objects.get(pk=req.pk).reimbursed == D("500.00")
    assert budget_balance(budget).available == D("500.00")


@pytest.mark.reliability("concurrency", "2 parallel requests for the last money of a fund")
@pytest.mark.parametrize("attempt", RACES)
def test_two_requests_for_the_last_money_pass_once(setting, attempt):
    budget, sales = setting
    outcome = run_parallel(*[lambda: _request(budget, sales)] * 2)
    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert len(outcome.refused) == 1
    assert isinstance(outcome.refused[0], DomainError)
    assert outcome.refused[0].field == "amount"
    assert budget_balance(budget).available == D("400.00")
