"""The /funds/ pages: a partner requests and claims with a file; vendor staff decide from the
queue with the balance beside each row; the report and its CSV."""

import datetime as dt
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from funds.models import FundClaim, FundRequest

from .conftest import make_fund

D = Decimal


def _request_form(budget, **values):
    return {
        "budget": budget.pk,
        "kind": "event",
        "description": "Dealer day in Kaohsiung",
        "start": "2027-03-10",
        "end": "2027-03-10",
        "planned_cost": "4000.00",
        "amount": "2000.00",
        **values,
    }


def test_partner_requests_vendor_decides_partner_claims_vendor_settles(world, monkeypatch):
    budget = make_fund(partner=world.partner).budgets.get()
    sales = world.client("partner_sales")
    page = sales.get("/funds/")
    assert page.status_code == 200
    assert "MDF-27H1" in page.content.decode()
    over = sales.post("/funds/requests/new/", _request_form(budget, amount="2000.01"))
    assert over.status_code == 200
    assert "50% of the planned cost (2000.00 TWD)" in over.content.decode()
    made = sales.post("/funds/requests/new/", _request_form(budget))
    req = FundRequest.objects.get()
    assert made.status_code == 302
    assert made["Location"] == f"/funds/requests/{req.pk}/"

    vendor = world.client("cm_assigned")
    queue = vendor.get("/funds/").content.decode()
    assert req.number in queue
    assert "TWD 198,000.00" in queue  # the available balance beside the request
    decided = vendor.post(
        f"/funds/requests/{req.pk}/decide/", {"decision": "approve", "amount": "1800.00"}
    )
    assert decided.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.approved_amount) == ("approved", D("1800.00"))

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2027, 3, 11))
    detail = sales.get(f"/funds/requests/{req.pk}/").content.decode()
    assert f'href="/funds/requests/{req.pk}/claim/"' in detail
    claimed = sales.post(
        f"/funds/requests/{req.pk}/claim/",
        {"actual_cost": "3000.00", "files": [SimpleUploadedFile("proof.pdf", b"%PDF-1.4 x")]},
    )
    assert claimed.status_code == 302
    claim = FundClaim.objects.get()
    assert claim.reimbursement == D("1500.00")
    file = claim.files.get()
    download = sales.get(f"/funds/claims/{claim.pk}/files/{file.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 x"
    assert (
        world.client("other_partner").get(f"/funds/claims/{claim.pk}/files/{file.pk}/").status_code
        == 404
    )

    assert req.number in vendor.get("/funds/").content.decode()
    vendor.post(f"/funds/claims/{claim.pk}/decide/", {"decision": "approve"})
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.adjustment.amount == D("1500.00")
    page = sales.get(f"/funds/requests/{req.pk}/").content.decode()
    assert "On the next draft statement" in page


def test_claim_without_a_file_is_refused_on_the_page(world, monkeypatch):
    budget = make_fund(partner=world.partner).budgets.get()
    world.client("partner_admin").post("/funds/requests/new/", _request_form(budget))
    req = FundRequest.objects.get()
    world.client("vendor_admin").post(f"/funds/requests/{req.pk}/decide/", {"decision": "approve"})
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(2027, 3, 11))
    answer = world.client("partner_admin").post(
        f"/funds/requests/{req.pk}/claim/", {"actual_cost": "3000.00"}
    )
    assert answer.status_code == 200
    assert "Attach at least one proof-of-performance file." in answer.content.decode()
    assert not FundClaim.objects.exists()


def test_reject_needs_a_reason_the_partner_reads(world):
    budget = make_fund(partner=world.partner).budgets.get()
    world.client("partner_sales").post("/funds/requests/new/", _request_form(budget))
    req = FundRequest.objects.get()
    vendor = world.client("vendor_admin")
    vendor.post(f"/funds/requests/{req.pk}/decide/", {"decision": "reject"})
    assert FundRequest.objects.get().status == "pending"
    vendor.post(f"/funds/requests/{req.pk}/decide/", {"decision": "reject", "reason": "Too late"})
    assert FundRequest.objects.get().status == "rejected"
    page = world.client("partner_sales").get(f"/funds/requests/{req.pk}/").content.decode()
    assert "Too late" in page


def test_fund_list_queries_do_not_grow_with_rows(world, django_assert_num_queries):
    from funds.services import fund_request_create

    def add(n):
        budget = make_fund(partner=world.partner, code=f"MDF-{n}").budgets.get()
        for _ in range(3):
            fund_request_create(
                actor=world.users["partner_sales"],
                budget=budget,
                kind="other",
                description="Flyers",
                start=dt.date(2027, 2, 1),
                end=dt.date(2027, 2, 2),
                planned_cost=D("100.00"),
                amount=D("50.00"),
            )

    add(1)
    clients = {role: world.client(role) for role in ("vendor_admin", "partner_admin")}
    counts = {}
    for role, client in clients.items():
        client.get("/funds/")
        with CaptureQueriesContext(connection) as small:
            assert client.get("/funds/").status_code == 200
        counts[role] = len(small)
    # Session, user, the membership or nothing, requests, claims, budgets with their balances,
    # and for vendor staff the balances beside the queue.
    assert counts == {"vendor_admin": 6, "partner_admin": 6}
    for n in range(2, 6):
        add(n)
    for role, client in clients.items():
        with django_assert_num_queries(counts[role]):
            assert client.get("/funds/").status_code == 200


def test_report_and_csv(world):
    budget = make_fund(partner=world.partner).budgets.get()
    world.client("partner_sales").post("/funds/requests/new/", _request_form(budget))
    req = FundRequest.objects.get()
    vendor = world.client("vendor_admin")
    vendor.post(f"/funds/requests/{req.pk}/decide/", {"decision": "approve"})
    page = vendor.get("/funds/report/")
    assert page.status_code == 200
    assert "Event" in page.content.decode()
    csv = vendor.get("/funds/report/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv == [
        "fund,partner,tier,currency,budget,pending,committed,reimbursed,available",
        f"MDF-27H1,P-A,{world.partner.tier.code},TWD,200000.00,0.00,2000.00,0.00,198000.00",
    ]


def test_report_as_a_workbook(world):
    budget = make_fund(partner=world.partner).budgets.get()
    world.client("partner_sales").post("/funds/requests/new/", _request_form(budget))
    world.client("partner_sales").post(
        "/funds/requests/new/",
        _request_form(budget, kind="digital", amount="500.00"),
    )
    first = FundRequest.objects.get(kind="event")
    vendor = world.client("vendor_admin")
    vendor.post(f"/funds/requests/{first.pk}/decide/", {"decision": "approve"})

    response = vendor.get("/funds/report/?format=xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="funds.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    budgets, kinds = book.worksheets
    assert [list(row) for row in budgets.iter_rows(values_only=True)] == [
        [
            "fund",
            "partner",
            "tier",
            "currency",
            "budget",
            "pending",
            "committed",
            "reimbursed",
            "available",
        ],
        ["MDF-27H1", "P-A", world.partner.tier.code, "TWD", 200000, 500, 2000, 0, 197500],
    ]
    assert budgets.cell(row=2, column=9).number_format == "#,##0.00"
    assert [list(row) for row in kinds.iter_rows(values_only=True)] == [
        ["kind", "currency", "requests", "requested", "approved", "reimbursed"],
        ["Digital campaign", "TWD", 1, 500, 0, 0],
        ["Event", "TWD", 1, 2000, 2000, 0],
    ]

    other = vendor.get("/funds/report/?format=xlsx&fund=NOPE")
    rows = list(load_workbook(io.BytesIO(other.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1
    assert world.client("partner_admin").get("/funds/report/?format=xlsx").status_code == 403
