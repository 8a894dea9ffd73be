"""The /api/v1/mdf/ endpoints as the spec states them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commissions.models import Adjustment
from funds.models import FundClaim, FundRequest

from .conftest import make_fund

D = Decimal
BODY = {
    "fund": "MDF-27H1",
    "kind": "digital",
    "description": "Search campaign",
    "start": "2027-02-01",
    "end": "2027-02-28",
    "planned_cost": "3000.00",
    "amount": "1500.00",
}


def freeze_today(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: day)


@pytest.fixture
def fund(world):
    return make_fund(partner=world.partner)


def test_funds_list_their_balances_as_strings(world, fund):
    world.client("partner_sales").post("/api/v1/mdf/requests/", BODY)
    answer = world.client("partner_finance").get("/api/v1/mdf/funds/")
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "code": "MDF-27H1",
            "partner": "P-A",
            "currency": "TWD",
            "amount": "200000.00",
            "pending": "1500.00",
            "committed": "0.00",
            "reimbursed": "0.00",
            "available": "198500.00",
        }
    ]
    assert world.client("other_partner").get("/api/v1/mdf/funds/").json() == []
    assert world.client("cm_unassigned").get("/api/v1/mdf/funds/").json() == []


def test_a_broken_rule_answers_400_naming_the_field_and_the_rule(world, fund):
    client = world.client("partner_sales")
    over = client.post("/api/v1/mdf/requests/", {**BODY, "amount": "1500.01"})
    assert over.status_code == 400
    assert over.json() == {
        "amount": ["The amount is more than 50% of the planned cost (1500.00 TWD)."]
    }
    late = client.post("/api/v1/mdf/requests/", {**BODY, "end": "2027-07-01"})
    assert late.status_code == 400
    assert list(late.json()) == ["end"]
    assert "fund's dates" in late.json()["end"][0]
    unknown = client.post("/api/v1/mdf/requests/", {**BODY, "fund": "NOPE"})
    assert unknown.json() == {"fund": ["Unknown fund."]}
    not_money = client.post("/api/v1/mdf/requests/", {**BODY, "planned_cost": "lots"})
    assert list(not_money.json()) == ["planned_cost"]
    assert not FundRequest.objects.exists()


def test_request_decide_claim_and_settle_through_the_api(world, fund, monkeypatch):
    made = world.client("partner_sales").post("/api/v1/mdf/requests/", BODY)
    assert made.status_code == 201
    body = made.json()
    assert (body["status"], body["amount"], body["fund_code"], body["deadline"]) == (
        "pending",
        "1500.00",
        "MDF-27H1",
        "2027-04-29",
    )
    pk = body["id"]
    vendor = world.client("cm_assigned")
    over = vendor.post(
        f"/api/v1/mdf/requests/{pk}/decision/", {"decision": "approve", "amount": "1500.01"}
    )
    assert over.status_code == 400
    assert list(over.json()) == ["amount"]
    decided = vendor.post(
        f"/api/v1/mdf/requests/{pk}/decision/", {"decision": "approve", "amount": "1200.00"}
    )
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["approved_amount"]) == ("approved", "1200.00")
    partner = world.client("partner_admin")
    freeze_today(monkeypatch, dt.date(2027, 3, 1))
    no_file = partner.post(f"/api/v1/mdf/requests/{pk}/claim/", {"actual_cost": "2000.00"})
    assert no_file.status_code == 400
    assert list(no_file.json()) == ["files"]
    claimed = partner.post(
        f"/api/v1/mdf/requests/{pk}/claim/",
        {
            "actual_cost": "2000.00",
            "files": [
                SimpleUploadedFile("proof.pdf", b"%PDF-1.4 a"),
                SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 b"),
            ],
        },
    )
    assert claimed.status_code == 201, claimed.json()
    claim = claimed.json()
    assert (claim["reimbursement"], claim["status"], claim["files"]) == (
        "1000.00",
        "submitted",
        ["proof.pdf", "photo.jpg"],
    )
    returned = vendor.post(f"/api/v1/mdf/claims/{claim['id']}/decision/", {"decision": "return"})
    assert returned.status_code == 400
    assert list(returned.json()) == ["reason"]
    approved = vendor.post(f"/api/v1/mdf/claims/{claim['id']}/decision/", {"decision": "approve"})
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert Adjustment.objects.get().amount == D("1000.00")
    funds = world.client("partner_finance").get("/api/v1/mdf/funds/").json()[0]
    assert (funds["committed"], funds["reimbursed"], funds["available"]) == (
        "0.00",
        "1000.00",
        "199000.00",
    )


def test_another_partners_request_and_claim_answer_404(world, fund):
    pk = world.client("partner_sales").post("/api/v1/mdf/requests/", BODY).json()["id"]
    other = world.client("other_partner")
    assert other.post(f"/api/v1/mdf/requests/{pk}/claim/", {"actual_cost": "1"}).status_code == 404
    assert (
        world.client("cm_unassigned")
        .post(f"/api/v1/mdf/requests/{pk}/decision/", {"decision": "approve"})
        .status_code
        == 404
    )
    assert FundClaim.objects.count() == 0
    assert FundRequest.objects.get().status == "pending"


def test_a_claim_after_the_deadline_answers_400(world, fund, monkeypatch):
    pk = world.client("partner_sales").post("/api/v1/mdf/requests/", BODY).json()["id"]
    world.client("vendor_admin").post(
        f"/api/v1/mdf/requests/{pk}/decision/", {"decision": "approve"}
    )
    freeze_today(monkeypatch, dt.date(2027, 4, 30))
    late = world.client("partner_sales").post(
        f"/api/v1/mdf/requests/{pk}/claim/",
        {"actual_cost": "3000.00", "files": [SimpleUploadedFile("a.pdf", b"%PDF-1.4")]},
    )
    assert late.status_code == 400
    assert late.json() == {"actual_cost": ["The claim deadline (2027-04-29) has passed."]}
