"""The price-protection API and pages: the caller's claims, the declaration with the credit
line by line, the preview before submitting, the vendor's decision; another partner's claim
answers 404."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.services.program import program_load
from funds.models import PriceProtectionClaim, PurchaseInvoiceLine
from tests.agreements.factories import ProductFactory

S = PriceProtectionClaim.Status


@pytest.fixture
def claim(world):
    product = ProductFactory(sku="SW-24")
    today = timezone.localdate()
    for line, (days, units, price) in enumerate([(10, "4", "900.00"), (5, "3", "850.00")], 1):
        PurchaseInvoiceLine.objects.create(
            invoice_number="INV-7",
            line=line,
            partner=world.partner,
            product=product,
            invoice_date=today - dt.timedelta(days=days),
            quantity=Decimal(units),
            unit_net_price=Decimal(price),
            currency="TWD",
        )
    return PriceProtectionClaim.objects.create(
        partner=world.partner,
        product=product,
        effective_date=today,
        trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal("800.00"),
        currency="TWD",
        protection_days=30,
        deadline=today + dt.timedelta(days=30),
    )


def test_declare_answers_the_credit_line_by_line(world, claim):
    client = world.client("partner_finance")
    url = reverse("api:protection-claim-declare", kwargs={"pk": claim.pk})
    response = client.post(url, {"on_hand": "5"}, content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    # Newest first: line 2, 3 × 50 = 150; then line 1, 2 × 100 = 200.
    assert data["credit"] == "350.00"
    assert data["eligible_units"] == "5"
    assert [(x["line"], x["units"], x["credit"]) for x in data["lines"]] == [
        (2, "3", "150.00"),
        (1, "2", "200.00"),
    ]
    assert data["status"] == "submitted"
    again = client.post(url, {"on_hand": "1"}, content_type="application/json")
    assert again.status_code == 400
    listed = client.get(reverse("api:protection-claim-list")).json()
    assert [c["id"] for c in listed] == [claim.pk]


def test_a_negative_declaration_is_refused_naming_the_field(world, claim):
    client = world.client("partner_admin")
    url = reverse("api:protection-claim-declare", kwargs={"pk": claim.pk})
    response = client.post(url, {"on_hand": "-1"}, content_type="application/json")
    assert response.status_code == 400
    assert "on_hand" in response.json()


def test_another_partner_never_sees_the_claim(world, claim):
    client = world.client("other_partner")
    assert client.get(reverse("api:protection-claim-list")).json() == []
    detail = reverse("protection_claim_detail", kwargs={"pk": claim.pk})
    assert client.get(detail).status_code == 404
    url = reverse("api:protection-claim-declare", kwargs={"pk": claim.pk})
    assert client.post(url, {"on_hand": "1"}).status_code == 404


def test_the_partner_sees_the_credit_before_submitting_and_the_vendor_decides(world, claim):
    detail = reverse("protection_claim_detail", kwargs={"pk": claim.pk})
    client = world.client("partner_admin")
    page = client.get(detail, {"on_hand": "2"}).content.decode()
    assert "Credit: TWD 100.00" in page  # 2 × (850 − 800), the newest line
    claim.refresh_from_db()
    assert claim.status == S.OPEN
    client.post(reverse("protection_claim_declare", kwargs={"pk": claim.pk}), {"on_hand": "2"})
    claim.refresh_from_db()
    assert (claim.status, claim.credit) == (S.SUBMITTED, Decimal("100.00"))
    vendor = world.client("cm_assigned")
    assert "INV-7" in vendor.get(detail).content.decode()
    vendor.post(
        reverse("protection_claim_decide", kwargs={"pk": claim.pk}),
        {"decision": "reject", "reason": "Units were sold before the cut."},
    )
    claim.refresh_from_db()
    assert claim.status == S.REJECTED
    assert claim.decided_at is not None
    assert claim.decision_reason == "Units were sold before the cut."


def test_program_file_grants_price_protection_days(world):
    program_load(
        {
            "agreements": [
                {
                    "number": "AG-PP",
                    "partner": world.partner.code,
                    "start": dt.date(2026, 1, 1),
                    "end": dt.date(2027, 12, 31),
                    "price_protection_days": 45,
                }
            ]
        },
        actor=None,
    )
    version = world.partner.agreements.get(number="AG-PP").versions.get()
    assert version.price_protection_days == 45
    assert version.terms["price_protection_days"] == 45
