"""Price protection: claims opened by price cuts and the credit rule, against hand-computed
figures (spec "Price protection")."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import AgreementVersion, PriceListItem, PriceOverride
from commissions.models import Adjustment
from funds.models import PriceProtectionClaim, PurchaseInvoiceLine
from funds.protection import claim_decide, claim_declare, claims_expire, credit_lines
from funds.selectors import protection_claims_export
from prm.core.errors import DomainError
from tests.agreements.factories import (
    AgreementFactory,
    AgreementVersionFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    PromotionFactory,
)
from tests.factories import TierFactory

D = dt.date(2026, 6, 1)


def tier(code, discount):
    found = TierFactory(code=code)
    found.default_discount = Decimal(discount)
    found.save()
    return found


S = PriceProtectionClaim.Status


@pytest.fixture
def pp(world):
    silver = tier("silver", "10")
    partner = world.partner
    partner.tier = silver
    partner.save()
    product = ProductFactory(sku="SW-24")
    PriceListItemFactory(
        price_list=PriceListFactory(code="BASE", effective_from=dt.date(2026, 1, 1)),
        product=product,
        list_price=Decimal("1000.00"),
    )
    agreement = AgreementFactory(
        partner=partner, start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31)
    )
    AgreementVersionFactory(
        agreement=agreement,
        status=AgreementVersion.Status.ACCEPTED,
        in_force_from=dt.date(2026, 1, 1),
        price_protection_days=30,
    )
    return {"partner": partner, "product": product, "world": world}


def cut(product, on, price, code=None):
    PriceListItemFactory(
        price_list=PriceListFactory(code=code or f"CUT-{on.isoformat()}", effective_from=on),
        product=product,
        list_price=Decimal(price),
    )


def buy(pp, invoice, line, date, units, price):
    return PurchaseInvoiceLine.objects.create(
        invoice_number=invoice,
        line=line,
        partner=pp["partner"],
        product=pp["product"],
        invoice_date=date,
        quantity=Decimal(units),
        unit_net_price=Decimal(price),
        currency="TWD",
    )


def the_claim(pp, on=D):
    return PriceProtectionClaim.objects.get(
        partner=pp["partner"], product=pp["product"], effective_date=on
    )


def declare(pp, claim, units, today=None):
    return claim_declare(
        actor=pp["world"].users["partner_finance"],
        claim=claim,
        on_hand=Decimal(units),
        today=today or claim.effective_date,
    )


def test_a_list_price_cut_opens_one_claim_and_notifies_the_partner(pp):
    cut(pp["product"], D, "800.00")
    claim = the_claim(pp)
    assert (claim.previous_net_price, claim.new_net_price) == (Decimal("900.00"), Decimal("720"))
    assert claim.trigger == PriceProtectionClaim.Trigger.LIST_PRICE
    assert claim.protection_days == 30
    assert claim.deadline == max(timezone.localdate(), D) + dt.timedelta(days=30)
    assert (
        pp["world"]
        .users["partner_finance"]
        .notifications.filter(url=f"/funds/protection/{claim.pk}/")
        .exists()
    )
    # Saving the same cut again opens nothing more.
    PriceListItem.objects.get(price_list__code=f"CUT-{D.isoformat()}").save()
    assert PriceProtectionClaim.objects.count() == 1


def test_more_units_declared_than_eligible(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "INV-1", 1, dt.date(2026, 5, 20), "10", "900.00")
    buy(pp, "INV-2", 1, dt.date(2026, 5, 25), "5", "880.00")
    claim = declare(pp, the_claim(pp), "100")
    # Newest first: 5 × (880 − 720) = 800; 10 × (900 − 720) = 1800.
    assert claim.eligible_units == Decimal("15")
    assert claim.credit == Decimal("2600.00")
    assert [(x.purchase.invoice_number, x.units, x.credit) for x in claim.lines.all()] == [
        ("INV-2", Decimal("5"), Decimal("800.00")),
        ("INV-1", Decimal("10"), Decimal("1800.00")),
    ]
    assert claim.status == S.SUBMITTED


def test_purchases_exactly_w_days_before_and_on_the_day_before(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "OUT-EARLY", 1, dt.date(2026, 5, 1), "4", "900.00")  # D − 31
    buy(pp, "FIRST", 1, dt.date(2026, 5, 2), "3", "900.00")  # D − 30
    buy(pp, "LAST", 1, dt.date(2026, 5, 31), "2", "900.00")  # D − 1
    buy(pp, "OUT-LATE", 1, D, "7", "900.00")  # D itself
    claim = declare(pp, the_claim(pp), "100")
    assert [x.purchase.invoice_number for x in claim.lines.all()] == ["LAST", "FIRST"]
    assert claim.eligible_units == Decimal("5")
    assert claim.credit == Decimal("900.00")  # 5 × 180


def test_a_purchase_priced_below_the_new_net_price_earns_nothing_but_uses_its_units(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "CHEAP", 1, dt.date(2026, 5, 30), "3", "700.00")
    buy(pp, "FULL", 1, dt.date(2026, 5, 10), "4", "900.00")
    claim = declare(pp, the_claim(pp), "5")
    assert [(x.units, x.credit) for x in claim.lines.all()] == [
        (Decimal("3"), Decimal("0.00")),
        (Decimal("2"), Decimal("360.00")),
    ]
    assert claim.credit == Decimal("360.00")


def test_several_lines_on_one_invoice_are_taken_from_the_last_line_back(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "INV-9", 1, dt.date(2026, 5, 15), "2", "900.00")
    buy(pp, "INV-9", 2, dt.date(2026, 5, 15), "2", "850.00")
    buy(pp, "INV-9", 3, dt.date(2026, 5, 15), "2", "800.00")
    claim = declare(pp, the_claim(pp), "5")
    assert [(x.purchase.line, x.units, x.credit) for x in claim.lines.all()] == [
        (3, Decimal("2"), Decimal("160.00")),
        (2, Decimal("2"), Decimal("260.00")),
        (1, Decimal("1"), Decimal("180.00")),
    ]
    assert claim.credit == Decimal("600.00")


def test_credit_rounds_half_up_per_line(pp):
    cut(pp["product"], D, "800.05")  # net 720.045 → 720.05
    buy(pp, "R", 1, dt.date(2026, 5, 20), "0.5", "900.00")
    claim = declare(pp, the_claim(pp), "0.5")
    assert claim.new_net_price == Decimal("720.05")
    assert claim.credit == Decimal("89.98")  # 0.5 × 179.95 = 89.975 → 89.98


def test_a_tier_change_opens_a_claim_on_the_day_it_is_saved(pp):
    today = timezone.localdate()
    buy(pp, "T", 1, today - dt.timedelta(days=3), "4", "900.00")
    partner = pp["partner"]
    partner.tier = tier("gold", "20")
    partner.save()
    claim = the_claim(pp, on=today)
    assert claim.trigger == PriceProtectionClaim.Trigger.TIER
    assert (claim.previous_net_price, claim.new_net_price) == (Decimal("900"), Decimal("800"))
    claim = declare(pp, claim, "4", today=today)
    assert claim.credit == Decimal("400.00")


def test_an_override_change_opens_a_claim(pp):
    PriceOverride.objects.create(
        partner=pp["partner"], product=pp["product"], net_price=Decimal("850.00")
    )
    claim = the_claim(pp, on=timezone.localdate())
    assert claim.trigger == PriceProtectionClaim.Trigger.OVERRIDE
    assert (claim.previous_net_price, claim.new_net_price) == (Decimal("900"), Decimal("850"))


def test_a_promotion_never_opens_a_claim_nor_lowers_the_new_net_price(pp):
    PromotionFactory(
        code="SUMMER", percent=Decimal("10"), start=dt.date(2026, 5, 1), end=dt.date(2026, 7, 1)
    )
    assert not PriceProtectionClaim.objects.exists()
    cut(pp["product"], D, "800.00")
    assert the_claim(pp).new_net_price == Decimal("720.00")


def test_a_price_rise_or_no_protection_opens_nothing(pp, world):
    cut(pp["product"], D, "1100.00")
    assert not PriceProtectionClaim.objects.exists()
    AgreementVersion.objects.filter(agreement__partner=pp["partner"]).update(
        price_protection_days=0
    )
    cut(pp["product"], dt.date(2026, 7, 1), "500.00")
    assert not PriceProtectionClaim.objects.exists()


def test_a_second_cut_never_pays_twice_for_the_same_drop(pp):
    cut(pp["product"], D, "800.00")  # net 900 → 720
    buy(pp, "P", 1, dt.date(2026, 5, 20), "10", "900.00")
    first = declare(pp, the_claim(pp), "10")
    assert first.credit == Decimal("1800.00")
    second_day = dt.date(2026, 6, 15)
    cut(pp["product"], second_day, "700.00")  # net 720 → 630
    second = declare(pp, the_claim(pp, on=second_day), "10")
    # The ten units now carry 720: 10 × 90, not 10 × 270.
    assert [(x.units, x.unit_net_price) for x in second.lines.all()] == [
        (Decimal("10"), Decimal("720.00"))
    ]
    assert second.credit == Decimal("900.00")


def test_approval_puts_the_credit_on_the_next_statement_linked_both_ways(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "A", 1, dt.date(2026, 5, 20), "2", "900.00")
    claim = declare(pp, the_claim(pp), "2")
    admin = pp["world"].users["vendor_admin"]
    with pytest.raises(DomainError):
        claim_decide(actor=admin, claim=claim, decision="reject", reason=" ")
    claim = claim_decide(actor=admin, claim=claim, decision="approve")
    assert claim.status == S.APPROVED
    assert claim.decided_at is not None
    adjustment = Adjustment.objects.get()
    assert adjustment.amount == Decimal("360.00")
    assert adjustment.price_protection_claim == claim
    assert adjustment.source_url == f"/funds/protection/{claim.pk}/"
    with pytest.raises(DomainError):
        claim_decide(actor=admin, claim=claim, decision="approve")


def test_declaration_before_the_cut_or_after_the_deadline_is_refused(pp):
    cut(pp["product"], D, "800.00")
    claim = the_claim(pp)
    with pytest.raises(DomainError):
        declare(pp, claim, "1", today=D - dt.timedelta(days=1))
    with pytest.raises(DomainError):
        declare(pp, claim, "1", today=claim.deadline + dt.timedelta(days=1))
    with pytest.raises(DomainError):
        declare(pp, claim, "-1")
    assert declare(pp, claim, "0", today=claim.deadline).credit == Decimal("0.00")


def test_export_matches_the_contract(pp):
    cut(pp["product"], D, "800.00")
    buy(pp, "E", 1, dt.date(2026, 5, 20), "3", "900.00")
    declare(pp, the_claim(pp), "5")
    assert protection_claims_export(partner=pp["partner"]) == [
        {
            "sku": "SW-24",
            "effective_date": "2026-06-01",
            "new_net_price": "720.00",
            "declared_on_hand": "5",
            "eligible_units": "3",
            "credit": "540.00",
            "status": "submitted",
            "lines": [
                {
                    "invoice_number": "E",
                    "line": 1,
                    "units": "3",
                    "unit_net_price": "900.00",
                    "credit": "540.00",
                    "original_currency": None,
                    "original_unit_net_price": None,
                    "exchange_rate": None,
                    "rate_date": None,
                }
            ],
        }
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=40),  # days before D
            st.integers(min_value=1, max_value=20),  # units
            st.integers(min_value=50000, max_value=90000),  # price paid, in cents
        ),
        min_size=1,
        max_size=6,
    ),
    declared=st.integers(min_value=0, max_value=80),
    price=st.integers(min_value=100, max_value=999),
)
def test_credit_never_exceeds_declared_units_times_the_largest_drop(pp, lines, declared, price):
    PurchaseInvoiceLine.objects.all().delete()
    for i, (days, units, cents) in enumerate(lines):
        buy(pp, f"H-{i}", 1, D - dt.timedelta(days=days), units, Decimal(cents) / 100)
    claim = PriceProtectionClaim(
        partner=pp["partner"],
        product=pp["product"],
        effective_date=D,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal(price),
        currency="TWD",
        protection_days=30,
        deadline=D,
    )
    got = credit_lines(claim, Decimal(declared))
    largest_drop = max(Decimal(cents) / 100 - Decimal(price) for _d, _u, cents in lines)
    assert sum(x.credit for x in got) <= Decimal(declared) * max(largest_drop, Decimal(0))
    assert sum(x.units for x in got) <= declared


def test_an_undeclared_claim_expires_the_day_after_its_deadline(pp):
    from funds.tasks import protection_deadlines_task

    cut(pp["product"], D, "800.00")
    claim = the_claim(pp)
    assert claims_expire(today=claim.deadline) == 0
    assert claims_expire(today=claim.deadline + dt.timedelta(days=1)) == 1
    claim.refresh_from_db()
    assert claim.status == S.EXPIRED
    assert protection_deadlines_task() == {"expired": 0}
    with pytest.raises(DomainError):
        declare(pp, claim, "1")
