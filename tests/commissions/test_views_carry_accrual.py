"""The pages and API of carry-forward and accrual on payment, by role: the statement page says
what is carried and links both statements, approval after a draft predecessor is refused on the
page and in the API, sales awaiting payment are listed, payments are imported by page and API."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from agreements.services.agreements import Terms, agreement_create, agreement_version_accept
from agreements.services.program import program_load
from commissions.models import PaymentBatch, Sale, Statement
from commissions.services.compute import recompute

from ..agreements.factories import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2026, 12, 31)


def _world_on_plan(world, **options) -> None:
    """Partner A on plan STD (5% of networking) with `options`, for 2026."""
    ProductFactory(sku="SW-24", line=ProductLineFactory(code="NET", name="Networking"))
    rule = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}
    program_load(
        {"commission_plans": [{"code": "STD", "clawback_days": 60, "rules": [rule], **options}]},
        today=dt.date(2026, 9, 1),
    )
    agreement = agreement_create(
        actor=world.users["vendor_admin"],
        partner=world.partner,
        number="AG-PAY",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        terms=Terms(effective_date=dt.date(2026, 1, 1), commission_plan="STD"),
    )
    version = agreement.versions.get()
    agreement_version_accept(
        actor=world.users["partner_admin"], version=version, ip=None, seen_hash=version.terms_hash
    )
    type(version).objects.filter(pk=version.pk).update(in_force_from=dt.date(2026, 1, 1))


def _sale(world, external_id: str, date: str, amount: str, original: Sale | None = None) -> Sale:
    return Sale.objects.create(
        external_id=external_id,
        partner=world.partner,
        product=ProductFactory._meta.model.objects.get(sku="SW-24"),
        customer_name="Customer",
        invoice_date=dt.date.fromisoformat(date),
        kind="return" if original else "sale",
        quantity=D("1"),
        net_amount=D(amount),
        currency="TWD",
        original=original,
    )


@pytest.fixture
def carried(world):
    """October −968.80 (a return of 19,376.00 at 5%), carried into November (+500.00)."""
    _world_on_plan(world, carry_forward=True)
    september = _sale(world, "S-1", "2026-09-10", "100000.00")
    _sale(world, "R-1", "2026-10-05", "19376.00", original=september)
    _sale(world, "S-2", "2026-11-03", "10000.00")
    for month in ("2026-09", "2026-10", "2026-11"):
        recompute(month_label=month, today=TODAY)
    return {m: Statement.objects.get(period=m) for m in ("2026-10", "2026-11")}


def test_both_statements_say_what_is_carried_and_link_to_each_other(world, carried):
    client = world.client("partner_finance")
    october, november = carried["2026-10"], carried["2026-11"]

    page = client.get(reverse("statement_detail", args=[october.pk])).content.decode()
    assert "this statement pays nothing: -968.80 TWD is carried forward" in page
    assert reverse("statement_detail", args=[november.pk]) in page

    page = client.get(reverse("statement_detail", args=[november.pk])).content.decode()
    assert "Carried forward from 2026-10: −968.80" in page
    assert reverse("statement_detail", args=[october.pk]) in page


def test_the_page_refuses_approval_after_a_draft_predecessor(world, carried):
    client = world.client("vendor_admin")
    november = carried["2026-11"]
    page = client.get(reverse("statement_detail", args=[november.pk])).content.decode()
    assert 'id="draft-predecessor"' in page

    response = client.post(reverse("statement_approve", args=[november.pk]), follow=True)

    assert "The statement of 2026-10 is still a draft" in response.content.decode()
    november.refresh_from_db()
    assert november.status == Statement.Status.DRAFT


def test_the_api_refuses_approval_after_a_draft_predecessor_then_approves_in_order(world, carried):
    client = world.client("vendor_admin")
    url = reverse("api:statement-approve")

    refused = client.post(url, {"partner": "P-A", "period": "2026-11"})
    assert refused.status_code == 400
    assert "The statement of 2026-10 is still a draft" in refused.json()["statement"][0]

    client.post(url, {"partner": "P-A", "period": "2026-09"})
    october = client.post(url, {"partner": "P-A", "period": "2026-10"})
    assert october.status_code == 200
    assert october.json()["status"] == "approved"
    assert october.json()["carried_forward"] == "-968.80"
    assert client.post(url, {"partner": "P-A", "period": "2026-11"}).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"partner": "P-A", "period": "November"}, "period"),
        ({"period": "2026-11"}, "partner"),
        ({"partner": "P-A", "period": "2026-03"}, "period"),
    ],
)
def test_the_approve_api_names_the_bad_field(world, carried, data, field):
    response = world.client("vendor_admin").post(reverse("api:statement-approve"), data)
    assert response.status_code == 400
    assert field in response.json()


def test_the_statements_api_gives_the_amount_carried_out(world, carried):
    data = (
        world.client("partner_finance")
        .get(reverse("api:statement-list"), {"period": "2026-10"})
        .json()
    )
    assert [(s["period"], s["total"], s["carried_forward"]) for s in data] == [
        ("2026-10", "-968.80", "-968.80")
    ]


def test_the_csv_export_ends_each_row_with_the_amount_carried_out(world, carried):
    text = world.client("partner_finance").get(reverse("statement_export")).content.decode()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))

    assert rows[0] == [
        "partner",
        "period",
        "status",
        "currency",
        "total",
        "line",
        "description",
        "amount",
        "carried_forward",
    ]
    carried_by_period = {row[1]: row[8] for row in rows[1:]}
    # October's -968.80 is carried out; November takes it in (+500.00) and carries -468.80 on to
    # December, which has no sales; September was positive and carries nothing.
    assert carried_by_period == {
        "2026-09": "0.00",
        "2026-10": "-968.80",
        "2026-11": "-468.80",
        "2026-12": "-468.80",
    }
    november = [row for row in rows[1:] if row[1] == "2026-11"]
    assert november[0][5:8] == ["1", "Carried forward from 2026-10: −968.80", "-968.80"]


def test_the_excel_export_gives_the_amount_carried_out_after_the_other_columns(world, carried):
    content = world.client("partner_finance").get(reverse("statement_export_xlsx")).content
    statements = list(load_workbook(io.BytesIO(content))["Statements"].values)

    assert statements[0] == (
        "partner",
        "period",
        "status",
        "currency",
        "net_sales",
        "total",
        "approved_at",
        "acknowledged_at",
        "carried_forward",
    )
    assert sorted((row[1], row[5], row[8]) for row in statements[1:]) == [
        ("2026-09", 5000, 0),
        ("2026-10", -968.8, -968.8),
        ("2026-11", -468.8, -468.8),
        ("2026-12", -468.8, -468.8),
    ]


@pytest.fixture
def on_payment(world):
    """October: S-1 paid in full (10,000.00), S-2 paid 1,000.00 of 4,000.00, S-3 unpaid."""
    _world_on_plan(world, accrual="payment")
    paid = _sale(world, "S-1", "2026-10-05", "10000.00")
    _sale(world, "S-2", "2026-10-06", "4000.00")
    _sale(world, "S-3", "2026-10-07", "3000.00")
    paid.payments.create(paid_date=dt.date(2026, 10, 20), amount=D("10000.00"))
    from commissions.services.payments import sale_paid_refresh

    sale_paid_refresh(sale_ids=[paid.pk])
    Sale.objects.get(external_id="S-2").payments.create(
        paid_date=dt.date(2026, 10, 21), amount=D("1000.00")
    )
    recompute(month_label="2026-10", today=TODAY)
    return Statement.objects.get(period="2026-10")


def test_a_partner_sees_its_sales_awaiting_payment(world, on_payment):
    response = world.client("partner_finance").get(
        reverse("statement_detail", args=[on_payment.pk])
    )
    assert on_payment.total == D("500.00")
    assert response.context["awaiting_count"] == 2
    assert [(s.external_id, s.paid_amount) for s in response.context["awaiting"]] == [
        ("S-2", D("1000.00")),
        ("S-3", D("0")),
    ]
    assert "2 sales awaiting payment" in response.content.decode()


def test_a_converted_sale_awaiting_payment_shows_its_invoice_amount_and_rate(world, on_payment):
    # 120.00 USD × 31.50 = 3,780.00 TWD
    Sale.objects.filter(external_id="S-3").update(
        net_amount=D("3780.00"),
        original_amount=D("120.00"),
        original_currency="USD",
        exchange_rate=D("31.5"),
        rate_date=dt.date(2026, 10, 1),
    )
    response = world.client("partner_finance").get(
        reverse("statement_detail", args=[on_payment.pk])
    )
    section = response.content.decode().split('id="awaiting-payment"')[1].split("</section>")[0]
    assert "3,780.00" in section
    assert "120.00 USD at 31.50 (2026-10-01)" in section
    # The sale in the partner's own currency says nothing more.
    assert section.count('data-key="original"') == 1


def test_the_statement_page_with_sales_awaiting_payment_runs_constant_queries(
    world, on_payment, django_assert_num_queries
):
    client = world.client("partner_finance")
    url = reverse("statement_detail", args=[on_payment.pk])
    client.get(url)
    # + plan versions, agreement versions, sales awaiting payment, their count, and the bank
    # details in force on a draft
    with django_assert_num_queries(13):
        client.get(url)
    for n in range(5):
        _sale(world, f"S-X{n}", "2026-10-08", "100.00")
    with django_assert_num_queries(13):
        client.get(url)


def test_the_upload_page_imports_payments_and_shows_the_rejected_rows(
    world, on_payment, django_capture_on_commit_callbacks
):
    client = world.client("cm_assigned")
    content = "external_id,paid_date,amount\nS-2,2026-10-30,3000.00\nS-9,2026-10-30,1.00\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("payment_import_list"),
            {"file": SimpleUploadedFile("payments.csv", content.encode(), "text/csv")},
        )
    batch = PaymentBatch.objects.get()
    assert response["Location"] == reverse("payment_import_detail", args=[batch.pk])
    assert (batch.status, batch.created_count, batch.rejected_count) == ("done", 1, 1)
    page = client.get(response["Location"]).content.decode()
    assert "no sale S-9 (import the sale first)" in page
    listing = client.get(reverse("payment_import_list")).content.decode()
    assert "payments.csv" in listing


def test_a_waiting_payments_import_polls_for_its_progress(world):
    batch = PaymentBatch.objects.create(filename="p.csv", sha256="0" * 64)
    fragment = (
        world.client("vendor_admin")
        .get(reverse("payment_import_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in fragment


def test_a_running_payments_import_shows_how_far_it_is(world):
    batch = PaymentBatch.objects.create(
        filename="p.csv", sha256="0" * 64, status="running", total_rows=200, processed_rows=50
    )
    fragment = (
        world.client("vendor_admin")
        .get(reverse("payment_import_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "50 of 200 rows checked." in fragment
    assert 'aria-valuenow="25"' in fragment


@pytest.mark.parametrize("sql", [True, False], ids=["staged", "python"])
def test_the_worker_reports_progress_while_it_reads_the_file(
    world, on_payment, monkeypatch, django_capture_on_commit_callbacks, sql
):
    from commissions.services import import_stream, payments

    monkeypatch.setattr(payments, "SQL_CHECKS", sql)
    # Small blocks, batches and chunks: a file of twelve rows reports several times on either
    # path.
    monkeypatch.setattr(import_stream, "BLOCK", 64)
    monkeypatch.setattr(import_stream, "BATCH_ROWS", 3)
    monkeypatch.setattr(payments, "CHUNK", 3)
    reports: list[tuple[int, int]] = []
    progress = payments.batch_progress

    def recording(model, batch_id):
        report = progress(model, batch_id)

        def both(done: int, total: int) -> None:
            reports.append((done, total))
            report(done, total)

        return both

    monkeypatch.setattr(payments, "batch_progress", recording)
    content = "external_id,paid_date,amount\n" + "S-3,2026-10-30,1.00\n" * 12
    with django_capture_on_commit_callbacks(execute=True):
        world.client("vendor_admin").post(
            reverse("payment_import_list"),
            {"file": SimpleUploadedFile("payments.csv", content.encode(), "text/csv")},
        )

    batch = PaymentBatch.objects.get()
    assert len(reports) >= 3
    assert all(0 < done <= total for done, total in reports)
    assert reports[0][0] < reports[-1][0]
    assert (batch.status, batch.processed_rows, batch.total_rows) == ("done", 12, 12)
    assert (batch.created_count, batch.duplicate_count) == (1, 11)


def test_the_upload_page_refuses_a_workbook(world):
    response = world.client("vendor_admin").post(
        reverse("payment_import_list"),
        {"file": SimpleUploadedFile("p.xlsx", b"PK\x03\x04\x00", "application/zip")},
    )
    assert "Upload a .csv file." in response.content.decode()
    assert not PaymentBatch.objects.exists()


def test_the_payments_api_answers_the_counts_and_the_rejected_rows(world, on_payment):
    content = b"external_id,paid_date,amount\nS-3,2026-10-30,3000.00\nS-3,2026-10-30,-1\n"
    response = world.client("vendor_admin").post(
        reverse("api:payment-import"),
        {"file": SimpleUploadedFile("p.csv", content, "text/csv")},
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["created"], data["duplicate"], data["rejected"]) == (
        "done",
        1,
        0,
        1,
    )
    assert data["rejected_rows"] == [
        {"row": 3, "column": "amount", "reason": "-1 is negative; a payment is a positive amount"}
    ]
    # S-3 paid in full in October: the recompute the import asked for counts it
    recompute(month_label="2026-10", today=TODAY)
    assert Statement.objects.get(period="2026-10").total == D("650.00")


def test_the_payments_api_refuses_a_missing_file(world):
    response = world.client("vendor_admin").post(reverse("api:payment-import"), {})
    assert response.status_code == 400
    assert "file" in response.json()
