"""The demo funds: requests in every state for both demo distributors, written once."""

import pytest
from django.core.management import call_command

from commissions.models import Adjustment
from funds.demo import seed_demo_funds
from funds.demo_protection import seed_demo_price_protection
from funds.models import (
    FundClaim,
    FundRequest,
    PriceProtectionClaim,
    PurchaseImport,
    PurchaseInvoiceLine,
)
from funds.selectors import budgets_with_balance

pytestmark = pytest.mark.django_db


def test_the_demo_funds_hold_requests_in_every_state_once(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    call_command("seed_demo", verbosity=0)
    seed_demo_funds()
    for code in ("P-FORMOSA", "P-HARBOUR"):
        requests = FundRequest.objects.filter(budget__partner__code=code)
        assert set(requests.values_list("status", flat=True)) == set(FundRequest.Status.values)
        claims = FundClaim.objects.filter(request__budget__partner__code=code)
        assert set(claims.values_list("status", flat=True)) == set(FundClaim.Status.values)
    assert Adjustment.objects.filter(fund_claim__isnull=False).count() == 2
    assert all(b.available >= 0 for b in budgets_with_balance())


def test_the_demo_price_cut_opens_claims_for_both_partners_once():
    call_command("seed_demo", verbosity=0)
    seed_demo_price_protection()
    for code in ("P-FORMOSA", "P-HARBOUR"):
        claims = PriceProtectionClaim.objects.filter(partner__code=code)
        statuses = sorted(claims.values_list("status", flat=True))
        assert statuses == ["open", "submitted"]
        declared = claims.get(status="submitted")
        lines = list(declared.lines.all())
        assert lines
        assert declared.credit > 0
        assert declared.credit == sum(line.credit for line in lines)
        assert all(line.purchase.partner_id == declared.partner_id for line in lines)
        # The credit is what the price cut takes off each unit bought at the old net price.
        drop = declared.previous_net_price - declared.new_net_price
        assert declared.credit == declared.eligible_units * drop
    assert PurchaseInvoiceLine.objects.filter(partner__code="P-HARBOUR").count() == 3
    # The file's line for the Taiwanese model bought by Harbour is rejected, and says why.
    batch = PurchaseImport.objects.get(file_name="demo-purchases.csv")
    assert (batch.status, batch.created, batch.rejected_count) == ("done", 6, 1)
    rejection = batch.rejections.get()
    assert (rejection.row_number, rejection.column) == (batch.total_rows + 1, "currency")
    assert rejection.reason == "SW-24 is priced in TWD"
    assert not PurchaseInvoiceLine.objects.filter(partner__code="P-HARBOUR", product__sku="SW-24")
