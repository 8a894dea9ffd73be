"""The program file's `mdf_funds` section: validated entry by entry, loaded idempotently."""

from decimal import Decimal

import pytest

from agreements.services.program import ProgramFileError, program_load
from funds.models import Fund, FundBudget
from tests.factories import PartnerFactory

D = Decimal


def load(data, actor=None):
    return program_load(data, actor=actor)


def test_partner_and_tier_funds_load_idempotently(world):
    hk = PartnerFactory(code="P-HK", tier=world.partner.tier, currency="HKD")
    data = {
        "mdf_funds": [
            {"code": "MDF-27H1", "name": "First half 2027", "partner": "P-A", "amount": "200000.00",
             "start": "2027-01-01", "end": "2027-06-30", "share": "50", "claim_days": 60},
            {"code": "MDF-TIER", "name": "Tier fund", "tier": world.partner.tier.code,
             "amount": "5000.00", "start": "2027-01-01", "end": "2027-12-31", "share": "25",
             "claim_days": 30},
        ]
    }  # fmt: skip
    first = load(data)
    assert first.created["mdf_funds"] == 2
    fund = Fund.objects.get(code="MDF-27H1")
    assert (fund.partner, fund.amount, fund.share, fund.claim_days) == (
        world.partner,
        D("200000.00"),
        D("50"),
        60,
    )
    tier_budgets = {
        b.partner.code: (b.amount, b.currency)
        for b in FundBudget.objects.filter(fund__code="MDF-TIER")
    }
    assert tier_budgets == {"P-A": (D("5000.00"), "TWD"), "P-HK": (D("5000.00"), "HKD")}
    again = load(data)
    assert again.unchanged["mdf_funds"] == 2
    assert FundBudget.objects.count() == 3
    data["mdf_funds"][1]["amount"] = "6000.00"
    assert load(data).updated["mdf_funds"] == 1
    assert FundBudget.objects.get(fund__code="MDF-TIER", partner=hk).amount == D("6000.00")


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"partner": "P-A", "tier": "gold"}, "mdf_funds[0]: name either a partner or a tier"),
        ({}, "mdf_funds[0]: name either a partner or a tier"),
        ({"partner": "P-ZZ"}, "mdf_funds[0].partner: unknown partner 'P-ZZ'"),
        ({"partner": "P-A", "share": "120"}, "mdf_funds[0].share: must be at most 100"),
        ({"partner": "P-A", "amount": 12.5}, "mdf_funds[0].amount: not a decimal"),
        ({"partner": "P-A", "end": "2026-12-31"}, "mdf_funds[0].end: before start"),
        ({"partner": "P-A", "claim_days": -1}, "mdf_funds[0].claim_days: must be a whole number"),
    ],
)
def test_bad_entries_are_reported_by_path_and_nothing_is_loaded(world, entry, error):
    base = {"code": "MDF-X", "name": "X", "amount": "100.00", "start": "2027-01-01",
            "end": "2027-06-30", "share": "50", "claim_days": 60}  # fmt: skip
    with pytest.raises(ProgramFileError) as refused:
        load({"mdf_funds": [{**base, **entry}]})
    assert any(e.startswith(error) for e in refused.value.errors), refused.value.errors
    assert not Fund.objects.exists()
