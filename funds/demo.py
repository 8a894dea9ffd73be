"""Demo funds for seed_demo: one fund for each demo distributor with requests in every state
(awaiting a decision, approved and claimable, claimed and awaiting review, returned, settled on
the next draft statement, rejected, cancelled and expired). Written through the services, so
balances, history and notifications agree. Idempotent: nothing is written if the funds exist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import Partner

from .models import Fund
from .services import (
    fund_budgets_sync,
    fund_claim_decide,
    fund_claim_submit,
    fund_request_cancel,
    fund_request_create,
    fund_request_decide,
    fund_requests_expire,
)

D = dt.timedelta(days=1)
FUNDS = [
    (
        "MDF-DEMO-TW",
        "P-FORMOSA",
        "Co-marketing fund",
        Decimal("300000.00"),
        "sales@formosa.example",
    ),
    ("MDF-DEMO-HK", "P-HARBOUR", "Co-marketing fund", Decimal("80000.00"), "sales@harbour.example"),
]


def _proof(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% proof of performance (demo)\n")


def seed_demo_funds() -> None:
    users = {u.email: u for u in get_user_model().objects.filter(email__endswith=".example")}
    admin = users.get("admin@vendor.example")
    partners = {p.code: p for p in Partner.objects.filter(code__in=[f[1] for f in FUNDS])}
    if (
        admin is None
        or len(partners) < len(FUNDS)
        or Fund.objects.filter(code="MDF-DEMO-TW").exists()
    ):
        return
    today = timezone.localdate()
    for code, partner_code, name, amount, requester_email in FUNDS:
        _seed_fund(
            code, partners[partner_code], name, amount, users.get(requester_email), admin, today
        )
    fund_requests_expire(today=today)


def _seed_fund(code, partner, name, amount, requester, admin, today) -> None:
    fund = Fund.objects.create(
        code=code,
        name=name,
        partner=partner,
        amount=amount,
        start=today - 150 * D,
        end=today + 210 * D,
        share=Decimal("50"),
        claim_days=60,
    )
    fund_budgets_sync(fund)
    budget = fund.budgets.get()
    scale = amount / Decimal("300000")

    def ask(kind, description, start, end, planned, requested):
        return fund_request_create(
            actor=requester,
            budget=budget,
            kind=kind,
            description=description,
            start=start,
            end=end,
            planned_cost=(planned * scale).quantize(Decimal("0.01")),
            amount=(requested * scale).quantize(Decimal("0.01")),
        )

    def approve(req, amount=None):
        return fund_request_decide(actor=admin, request=req, decision="approve", amount=amount)

    # Awaiting a decision.
    ask(
        "event",
        "Partner summit booth",
        today + 30 * D,
        today + 31 * D,
        Decimal(60000),
        Decimal(30000),
    )
    # Approved, ended, claimable.
    approve(
        ask(
            "digital",
            "Search and social campaign",
            today - 40 * D,
            today - 5 * D,
            Decimal(40000),
            Decimal(20000),
        )
    )
    # Claimed, awaiting review.
    req = approve(
        ask(
            "training",
            "Installer training day",
            today - 30 * D,
            today - 20 * D,
            Decimal(16000),
            Decimal(8000),
        )
    )
    fund_claim_submit(
        actor=requester,
        request=req,
        actual_cost=(Decimal(15000) * scale).quantize(Decimal("0.01")),
        files=[_proof("training-attendance.pdf")],
    )
    # Returned for correction.
    req = approve(
        ask(
            "cobranded",
            "Co-branded brochures",
            today - 60 * D,
            today - 45 * D,
            Decimal(12000),
            Decimal(6000),
        )
    )
    claim = fund_claim_submit(
        actor=requester,
        request=req,
        actual_cost=(Decimal(12000) * scale).quantize(Decimal("0.01")),
        files=[_proof("printer-quote.pdf")],
    )
    fund_claim_decide(
        actor=admin,
        claim=claim,
        decision="return",
        reason="Attach the printer's invoice, not the quote.",
    )
    # Settled: the reimbursement is on the next draft statement.
    req = approve(
        ask(
            "event",
            "Customer seminar",
            today - 100 * D,
            today - 70 * D,
            Decimal(50000),
            Decimal(25000),
        ),
        amount=(Decimal(22000) * scale).quantize(Decimal("0.01")),
    )
    claim = fund_claim_submit(
        actor=requester,
        request=req,
        actual_cost=(Decimal(41000) * scale).quantize(Decimal("0.01")),
        files=[_proof("seminar-invoice.pdf"), _proof("seminar-photos.pdf")],
        today=req.end + 10 * D,
    )
    fund_claim_decide(actor=admin, claim=claim, decision="approve")
    # Rejected, cancelled, expired.
    req = ask(
        "other",
        "Sponsorship of a trade magazine",
        today + 10 * D,
        today + 40 * D,
        Decimal(30000),
        Decimal(15000),
    )
    fund_request_decide(
        actor=admin,
        request=req,
        decision="reject",
        reason="Sponsorships are outside the programme.",
    )
    fund_request_cancel(
        actor=requester,
        request=ask(
            "digital",
            "Newsletter series",
            today + 20 * D,
            today + 50 * D,
            Decimal(8000),
            Decimal(4000),
        ),
    )
    approve(
        ask(
            "event",
            "Trade show stand",
            today - 140 * D,
            today - 130 * D,
            Decimal(20000),
            Decimal(10000),
        )
    )
