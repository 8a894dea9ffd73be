"""A fund saved in Django admin gives each partner it names a budget; both or neither refused."""

from decimal import Decimal

from django.urls import reverse

from funds.models import Fund, FundBudget
from tests.factories import PartnerFactory

FORM = {
    "code": "MDF-ADM",
    "name": "Admin fund",
    "amount": "3000.00",
    "start": "2027-01-01",
    "end": "2027-06-30",
    "share": "40",
    "claim_days": "30",
    "budgets-TOTAL_FORMS": "0",
    "budgets-INITIAL_FORMS": "0",
}


def test_a_tier_fund_saved_in_admin_writes_one_budget_per_partner(world):
    PartnerFactory(code="P-T2", tier=world.partner.tier, currency="HKD")
    client = world.client("vendor_admin")
    answer = client.post(reverse("admin:funds_fund_add"), {**FORM, "tier": world.partner.tier.pk})
    assert answer.status_code == 302
    budgets = dict(
        FundBudget.objects.filter(fund__code="MDF-ADM").values_list("partner__code", "currency")
    )
    assert budgets == {"P-A": "TWD", "P-T2": "HKD"}
    assert set(FundBudget.objects.values_list("amount", flat=True)) == {Decimal("3000.00")}


def test_a_fund_naming_both_a_partner_and_a_tier_is_refused(world):
    client = world.client("vendor_admin")
    answer = client.post(
        reverse("admin:funds_fund_add"),
        {**FORM, "tier": world.partner.tier.pk, "partner": world.partner.pk},
    )
    assert answer.status_code == 200
    assert not Fund.objects.exists()
