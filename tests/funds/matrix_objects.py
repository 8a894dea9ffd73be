"""Objects the access matrix needs for the fund URLs, built in the test's world: partner A's
fund, a pending request, an approved one ready to claim, and one with a claim awaiting review."""

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from funds.models import Fund, FundBudget, FundRequest
from funds.services import (
    fund_budgets_sync,
    fund_claim_submit,
    fund_request_create,
    fund_request_decide,
)

CODE = "MDF-MATRIX"


def budget(world) -> FundBudget:
    fund = Fund.objects.filter(code=CODE).first()
    if fund is None:
        today = timezone.localdate()
        fund = Fund.objects.create(
            code=CODE,
            name="Matrix fund",
            partner=world.partner,
            amount=Decimal("100000.00"),
            start=today - dt.timedelta(days=90),
            end=today + dt.timedelta(days=90),
            share=Decimal("50"),
            claim_days=60,
        )
        fund_budgets_sync(fund)
    return fund.budgets.get()


def _request(world, description: str) -> FundRequest:
    found = FundRequest.objects.filter(description=description).first()
    if found is not None:
        return found
    today = timezone.localdate()
    return fund_request_create(
        actor=world.users["partner_sales"],
        budget=budget(world),
        kind="event",
        description=description,
        start=today - dt.timedelta(days=30),
        end=today - dt.timedelta(days=1),
        planned_cost=Decimal("2000.00"),
        amount=Decimal("1000.00"),
    )


def pending_request_pk(world) -> dict:
    return {"pk": _request(world, "Pending seminar").pk}


def approved_request(world) -> FundRequest:
    req = _request(world, "Approved roadshow")
    if req.status == "pending":
        req = fund_request_decide(
            actor=world.users["vendor_admin"], request=req, decision="approve"
        )
    return req


def approved_request_pk(world) -> dict:
    return {"pk": approved_request(world).pk}


def claim(world):
    req = _request(world, "Claimed campaign")
    if req.status == "pending":
        req = fund_request_decide(
            actor=world.users["vendor_admin"], request=req, decision="approve"
        )
    found = req.claims.first()
    if found is None:
        found = fund_claim_submit(
            actor=world.users["partner_sales"],
            request=req,
            actual_cost=Decimal("1500.00"),
            files=[SimpleUploadedFile("proof.pdf", b"%PDF-1.4 matrix proof")],
        )
    return found


def claim_pk(world) -> dict:
    return {"pk": claim(world).pk}


def claim_file(world) -> dict:
    found = claim(world)
    return {"pk": found.pk, "file_pk": found.files.get().pk}


def request_data(world) -> dict:
    today = timezone.localdate()
    return {
        "fund": budget(world).fund.code,
        "kind": "training",
        "description": "Partner training day",
        "start": (today + dt.timedelta(days=10)).isoformat(),
        "end": (today + dt.timedelta(days=10)).isoformat(),
        "planned_cost": "800.00",
        "amount": "400.00",
    }


def claim_data(world) -> dict:
    return {
        "actual_cost": "900.00",
        "files": SimpleUploadedFile("proof.pdf", b"%PDF-1.4 matrix proof"),
    }
