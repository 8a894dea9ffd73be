"""The vendor's decision on a price-protection claim through the API (400 naming the field and
the rule, 404 for partner users and for claims out of reach), the list's filters, the schema,
and the one home of decisions (who, when, why) shared by fund requests, fund claims and
price-protection claims, with the migration that keeps every recorded reason."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from commissions.models import Adjustment
from funds.models import Decision, FundClaim, FundRequest, PriceProtectionClaim
from funds.protection import claim_declare
from tests.agreements.factories import ProductFactory

S = PriceProtectionClaim.Status


def make_claim(partner, sku, *, submitted=True, finance=None):
    today = timezone.localdate()
    claim = PriceProtectionClaim.objects.create(
        partner=partner,
        product=ProductFactory(sku=sku),
        effective_date=today,
        trigger=PriceProtectionClaim.Trigger.LIST_PRICE,
        previous_net_price=Decimal("900.00"),
        new_net_price=Decimal("800.00"),
        currency=partner.currency,
        protection_days=30,
        deadline=today + dt.timedelta(days=30),
    )
    if submitted:
        from funds.models import PurchaseInvoiceLine

        PurchaseInvoiceLine.objects.create(
            invoice_number=f"INV-{sku}",
            line=1,
            partner=partner,
            product=claim.product,
            invoice_date=today - dt.timedelta(days=2),
            quantity=Decimal("3"),
            unit_net_price=Decimal("900.00"),
            currency=partner.currency,
        )
        claim = claim_declare(actor=finance, claim=claim, on_hand="3")
    return claim


@pytest.fixture
def claims(world):
    finance = world.users["partner_finance"]
    return {
        "submitted": make_claim(world.partner, "SW-1", finance=finance),
        "open": make_claim(world.partner, "SW-2", submitted=False),
        "other": make_claim(world.other_partner, "SW-3", finance=world.users["other_partner"]),
    }


def decide(client, claim, **data):
    return client.post(
        reverse("api:protection-claim-decision", kwargs={"pk": claim.pk}),
        data,
        content_type="application/json",
    )


def test_vendor_approves_and_the_credit_goes_on_the_statement(world, claims):
    claim = claims["submitted"]
    answer = decide(world.client("cm_assigned"), claim, decision="approve")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["partner"], body["status"], body["credit"]) == (
        claim.pk,
        "P-A",
        "approved",
        "300.00",
    )
    assert body["decided_at"] is not None
    claim.refresh_from_db()
    assert claim.decided_by == world.users["cm_assigned"]
    assert claim.adjustment.amount == Decimal("300.00")
    # Decided once: a second decision is refused naming the rule.
    again = decide(world.client("vendor_admin"), claim, decision="reject", reason="Late")
    assert again.status_code == 400
    assert "cannot be decided now" in again.json()["non_field_errors"][0]
    assert Adjustment.objects.count() == 1


def test_reject_needs_a_reason_and_a_known_decision(world, claims):
    client = world.client("vendor_admin")
    claim = claims["submitted"]
    no_reason = decide(client, claim, decision="reject", reason="  ")
    assert no_reason.status_code == 400
    assert no_reason.json() == {"reason": ["Give the partner the reason for the rejection."]}
    unknown = decide(client, claim, decision="maybe")
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["decision"]
    missing = decide(client, claim)
    assert missing.json() == {"decision": ["This field is required."]}
    not_submitted = decide(client, claims["open"], decision="approve")
    assert not_submitted.status_code == 400
    answer = decide(client, claim, decision="reject", reason="Units were sold before the cut.")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["reason"]) == (
        "rejected",
        "Units were sold before the cut.",
    )
    claim.refresh_from_db()
    assert claim.decision_reason == "Units were sold before the cut."
    assert claim.decided_at is not None


@pytest.mark.parametrize("role", ["partner_admin", "partner_finance", "partner_sales"])
def test_partner_users_and_other_partners_get_404(world, claims, role):
    assert decide(world.client(role), claims["submitted"], decision="approve").status_code == 404
    assert decide(world.client(role), claims["other"], decision="approve").status_code == 404
    assert (
        decide(world.client("cm_unassigned"), claims["submitted"], decision="approve").status_code
        == 404
    )
    assert (
        decide(world.client("anonymous"), claims["submitted"], decision="approve").status_code
        == 401
    )
    claims["submitted"].refresh_from_db()
    assert claims["submitted"].status == S.SUBMITTED


def test_vendor_staff_filter_the_list_by_status_and_partner(world, claims):
    client = world.client("vendor_admin")
    url = reverse("api:protection-claim-list")

    def skus(**params):
        answer = client.get(url, params)
        assert answer.status_code == 200
        return sorted(c["sku"] for c in answer.json())

    assert skus() == ["SW-1", "SW-2", "SW-3"]
    assert skus(status="submitted") == ["SW-1", "SW-3"]
    assert skus(status="submitted", partner="P-B") == ["SW-3"]
    assert skus(partner="P-A") == ["SW-1", "SW-2"]
    assert skus(partner="P-NONE") == []
    bad = client.get(url, {"status": "pending"})
    assert bad.status_code == 400
    assert bad.json() == {"status": ["Give one of: open, submitted, approved, rejected, expired."]}
    # A partner's filter never reaches another partner.
    partner = world.client("partner_admin").get(url, {"partner": "P-B"})
    assert partner.json() == []


def test_the_schema_documents_the_decision_and_the_filters(world):
    schema = world.client("vendor_admin").get("/api/schema/", {"format": "json"}).json()
    decision = schema["paths"]["/api/v1/price-protection/claims/{id}/decision/"]["post"]
    body = decision["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/ProtectionDecision")
    assert set(schema["components"]["schemas"]["ProtectionDecision"]["properties"]) == {
        "decision",
        "reason",
    }
    listing = schema["paths"]["/api/v1/price-protection/claims/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"status", "partner"}


def test_every_decision_lives_in_one_base_and_records_its_time():
    for model in (FundRequest, FundClaim, PriceProtectionClaim):
        assert issubclass(model, Decision)
        names = {f.name for f in model._meta.get_fields()}
        assert {"decided_by", "decided_at", "decision_reason"} <= names
        assert "reason" not in names
    claim = PriceProtectionClaim()
    moment = timezone.now()
    assert claim.decision_record(actor=None, reason="  why ", now=moment) == [
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    assert (claim.decided_by, claim.decided_at, claim.decision_reason) == (None, moment, "why")


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_reason_and_keeps_every_recorded_reason(world):
    from tests.funds.protection_objects import _product

    claim = PriceProtectionClaim.objects.create(
        partner=world.partner,
        product=_product(),
        effective_date=dt.date(2026, 6, 1),
        trigger="list_price",
        previous_net_price=Decimal("10.00"),
        new_net_price=Decimal("9.00"),
        currency="TWD",
        protection_days=30,
        deadline=dt.date(2026, 7, 1),
        status="rejected",
        decision_reason="Sold before the cut.",
    )
    before, after = (
        ("funds", "0003_protection_tier_discount_trigger"),
        ("funds", "0004_decision_reason"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps.get_model("funds", "PriceProtectionClaim")
    assert old.objects.get(pk=claim.pk).reason == "Sold before the cut."
    executor = MigrationExecutor(connection)
    executor.migrate([after])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert PriceProtectionClaim.objects.get(pk=claim.pk).decision_reason == "Sold before the cut."
