"""Races on PostgreSQL, repeated 20 times: two vendor staff approving one price-protection claim
at once approve it once, with one adjustment; two declarations of one claim record one."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from commissions.models import Adjustment
from funds.models import ClaimLine, PriceProtectionClaim, PurchaseInvoiceLine
from funds.protection import claim_decide, claim_declare
from prm.accounts.services import api_token_rotate
from prm.core.errors import InvalidTransitionError
from prm.core.models import Event
from tests.agreements.factories import ProductFactory
from tests.factories import MembershipFactory, PartnerFactory, UserFactory, VendorAdminFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

pytestmark = POSTGRESQL
RACES = range(20)
_codes = itertools.count(1)
D = dt.date(2026, 6, 1)


@pytest.fixture(scope="module")
def staff(committed):  # noqa: F811
    return (
        VendorAdminFactory(email="pp-boss@vendor.test"),
        VendorAdminFactory(email="pp-second@vendor.test"),
    )


@pytest.fixture
def claim(staff):
    n = next(_codes)
    partner = PartnerFactory(code=f"P-PP-{n}")
    finance = UserFactory(email=f"finance-{n}@pp.test")
    MembershipFactory(user=finance, partner=partner, role="finance")
    product = ProductFactory(sku=f"PP-R{n}")
    PurchaseInvoiceLine.objects.create(
        invoice_number=f"R-{n}",
        line=1,
        partner=partner,
        product=product,
        invoice_date=D - dt.timedelta(days=3),
        quantity=Decimal("5"),
        unit_net_price=Decimal("900.00"),
        currency=partner.currency,
    )
    found = PriceProtectionClaim.objects.create(
        partner=partner,
        product=product,
        effective_date=D,
        trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal("800.00"),
        currency=partner.currency,
        protection_days=30,
        deadline=D + dt.timedelta(days=30),
    )
    return found, finance


@pytest.mark.reliability("concurrency", "2 parallel approvals of one price-protection claim")
@pytest.mark.parametrize("attempt", RACES)
def test_two_staff_approving_one_claim_approve_once(claim, staff, attempt):
    claim, finance = claim
    claim_declare(actor=finance, claim=claim, on_hand=Decimal("5"), today=D)
    outcome = run_parallel(
        *[lambda who=who: claim_decide(actor=who, claim=claim, decision="approve") for who in staff]
    )
    assert outcome.errors == []
    assert len(outcome.results) == 1
    assert [type(e) for e in outcome.refused] == [InvalidTransitionError]
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert Adjustment.objects.filter(partner=claim.partner).count() == 1
    assert claim.adjustment.amount == Decimal("500.00")
    assert (
        Event.objects.filter(verb="price_protection.approved", target_id=str(claim.pk)).count() == 1
    )


@pytest.mark.reliability("concurrency", "2 parallel declarations of one price-protection claim")
@pytest.mark.parametrize("attempt", RACES)
def test_two_declarations_of_one_claim_record_one(claim, attempt):
    claim, finance = claim
    outcome = run_parallel(
        *[
            lambda units=units: claim_declare(
                actor=finance, claim=claim, on_hand=Decimal(units), today=D
            )
            for units in ("5", "2")
        ]
    )
    assert outcome.errors == []
    assert len(outcome.results) == 1
    claim.refresh_from_db()
    assert ClaimLine.objects.filter(claim=claim).count() == 1
    assert claim.eligible_units == claim.declared_on_hand


@pytest.mark.reliability("concurrency", "2 parallel API decisions of one price-protection claim")
@pytest.mark.parametrize("attempt", range(5))
def test_two_staff_deciding_through_the_api_decide_once(claim, staff, attempt):
    claim, finance = claim
    claim_declare(actor=finance, claim=claim, on_hand=Decimal("5"), today=D)
    clients = []
    for who in staff:
        _token, secret = api_token_rotate(user=who)
        clients.append(Client(HTTP_AUTHORIZATION=f"Token {secret}"))
    url = reverse("api:protection-claim-decision", kwargs={"pk": claim.pk})
    bodies = [{"decision": "approve"}, {"decision": "reject", "reason": "Sold before the cut."}]
    outcome = run_parallel(
        *[
            lambda c=c, body=body: c.post(url, body, content_type="application/json")
            for c, body in zip(clients, bodies, strict=True)
        ]
    )
    assert outcome.errors == []
    assert sorted(r.status_code for r in outcome.results) == [200, 400]
    claim.refresh_from_db()
    assert claim.status in ("approved", "rejected")
    assert claim.decided_at is not None
    assert Adjustment.objects.filter(partner=claim.partner).count() == (
        1 if claim.status == "approved" else 0
    )
    decided = Event.objects.filter(
        verb__in=["price_protection.approved", "price_protection.rejected"],
        target_id=str(claim.pk),
    )
    assert decided.count() == 1
