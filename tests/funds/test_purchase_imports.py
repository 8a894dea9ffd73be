"""The purchases upload pages: upload, progress while the worker runs, then the counts and each
rejected row; the list of past imports; size and type checks; re-import; a hostile file."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from funds.models import PurchaseImport, PurchaseInvoiceLine, PurchaseRejection
from funds.purchases import purchases_import, purchases_import_run
from tests.agreements.factories import ProductFactory

HEADER = "invoice_number,line,partner_code,sku,invoice_date,quantity,unit_net_price,currency\n"


def day(offset=3):
    return (timezone.localdate() - dt.timedelta(days=offset)).isoformat()


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{r}\n" for r in rows)).encode()


@pytest.fixture
def sku(world):
    return ProductFactory(sku="SW-24", currency="TWD")


def upload(content: bytes, name="purchases.csv"):
    return {"file": SimpleUploadedFile(name, content, "text/csv")}


def test_upload_runs_in_the_worker_and_the_page_shows_counts_and_rejections(
    world, sku, django_capture_on_commit_callbacks
):
    client = world.client("cm_assigned")
    content = csv(
        f"INV-1,1,P-A,SW-24,{day()},10,900.00,TWD",
        f"INV-1,2,P-A,NOPE,{day()},1,900.00,TWD",
        f"INV-1,3,P-A,SW-24,{day()},-1,900.00,TWD",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("purchase_import_list"), upload(content))
    batch = PurchaseImport.objects.get()
    assert response["Location"] == reverse("purchase_import_detail", args=[batch.pk])
    assert (batch.status, batch.created, batch.duplicates, batch.rejected_count) == (
        "done",
        1,
        0,
        2,
    )
    assert (batch.total_rows, batch.processed_rows) == (3, 3)
    assert batch.created_by == world.users["cm_assigned"]
    page = client.get(response["Location"]).content.decode()
    assert "unknown SKU &#x27;NOPE&#x27;" in page
    assert "-1 is negative" in page
    assert 'hx-trigger="every 1s"' not in page
    listing = client.get(reverse("purchase_import_list")).content.decode()
    assert "purchases.csv" in listing
    assert reverse("purchase_import_detail", args=[batch.pk]) in listing


def test_a_waiting_import_shows_progress_and_polls(world, sku, broker_down):
    client = world.client("vendor_admin")
    response = client.post(
        reverse("purchase_import_list"), upload(csv(f"INV-1,1,P-A,SW-24,{day()},1,1,TWD"))
    )
    batch = PurchaseImport.objects.get()
    assert batch.status == "pending"
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "Waiting for a worker" in page
    PurchaseImport.objects.filter(pk=batch.pk).update(
        status="running", total_rows=200, processed_rows=50
    )
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "50 of 200 rows checked." in fragment
    assert 'aria-valuenow="25"' in fragment
    assert "<html" not in fragment


def test_the_worker_runs_a_queued_upload_once(world, sku, broker_down):
    from django.core.files.storage import default_storage

    world.client("vendor_admin").post(
        reverse("purchase_import_list"), upload(csv(f"INV-1,1,P-A,SW-24,{day()},1,1,TWD"))
    )
    batch = PurchaseImport.objects.get()
    result = purchases_import_run(batch_id=batch.pk, storage=default_storage)
    assert result.created == 1
    assert purchases_import_run(batch_id=batch.pk, storage=default_storage) is None
    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.created) == ("done", 1, 1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("p.xlsx", b"a,b\n", "Upload a .csv file."),
        ("p.csv", b"PK\x03\x04rest", "This is a spreadsheet workbook"),
    ],
)
def test_upload_refuses_files_of_another_type(world, name, content, message):
    response = world.client("vendor_admin").post(
        reverse("purchase_import_list"), upload(content, name)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PurchaseImport.objects.exists()


def test_upload_refuses_a_file_over_the_limit(world, monkeypatch):
    monkeypatch.setattr("commissions.forms.MAX_UPLOAD_BYTES", 10)
    response = world.client("vendor_admin").post(reverse("purchase_import_list"), upload(csv("x")))
    assert "The file is larger than 50 MB." in response.content.decode()
    assert not PurchaseImport.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("vendor_admin", 200),
        ("cm_assigned", 200),
        ("cm_unassigned", 200),
        ("partner_admin", 403),
        ("partner_finance", 403),
        ("partner_sales", 403),
        ("other_partner", 403),
    ],
)
def test_the_pages_are_for_vendor_staff(world, sku, role, status):
    batch = purchases_import(content=csv(f"INV-1,1,P-A,SW-24,{day()},1,1,TWD")).batch
    client = world.client(role)
    assert client.get(reverse("purchase_import_list")).status_code == status
    assert client.get(reverse("purchase_import_detail", args=[batch.pk])).status_code == status
    assert client.post(reverse("purchase_import_list"), upload(csv())).status_code in (
        status if status == 403 else 302,
    )


def test_the_purchases_list_links_the_import_page_for_vendor_staff_only(world, sku):
    url = reverse("purchase_import_list")
    assert url in world.client("vendor_admin").get(reverse("purchase_list")).content.decode()
    assert url not in world.client("partner_admin").get(reverse("purchase_list")).content.decode()


def test_an_unknown_import_answers_404(world):
    response = world.client("vendor_admin").get(reverse("purchase_import_detail", args=[999]))
    assert response.status_code == 404


def test_the_list_page_costs_the_same_queries_for_1_or_25_imports(
    world, sku, django_assert_num_queries
):
    client = world.client("vendor_admin")
    client.get(reverse("purchase_import_list"))
    purchases_import(content=csv(f"INV-1,1,P-A,SW-24,{day()},1,1,TWD"))
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(reverse("purchase_import_list")).status_code == 200
    for number in range(24):
        purchases_import(content=csv(f"INV-{number},1,P-A,SW-24,{day()},1,1,TWD"))
    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(reverse("purchase_import_list")).content.decode()
    assert page.count("/funds/purchases/imports/") >= 20


def test_the_detail_page_costs_the_same_queries_for_1_or_60_rejections(
    world, sku, django_assert_num_queries
):
    client = world.client("vendor_admin")
    one = purchases_import(content=csv(f"INV-1,1,P-A,NOPE,{day()},1,1,TWD")).batch
    many = purchases_import(
        content=csv(*[f"INV-{n},1,P-A,NOPE,{day()},1,1,TWD" for n in range(60)])
    ).batch
    client.get(reverse("purchase_import_detail", args=[one.pk]))
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(reverse("purchase_import_detail", args=[one.pk]))
    with django_assert_num_queries(DETAIL_QUERIES):
        page = client.get(reverse("purchase_import_detail", args=[many.pk])).content.decode()
    assert page.count("unknown SKU") == 60


# Session and user, then the page's own: the imports' count and page (list); the import with
# its uploader, the rejections' count and page (detail).
LIST_QUERIES = 4
DETAIL_QUERIES = 5


def test_api_answers_counts_and_rows_and_reimport_is_idempotent(world, sku):
    client = world.client("vendor_admin")
    content = csv(f"INV-1,1,P-A,SW-24,{day()},10,900.00,TWD", f"INV-1,2,P-A,SW-24,{day()},x,1,TWD")
    first = client.post(reverse("api:purchase-import"), upload(content)).json()
    assert (first["created"], first["duplicate"], first["rejected"]) == (1, 0, 1)
    assert first["rejected_rows"] == [
        {"row": 3, "column": "quantity", "reason": "x is not a number"}
    ]
    second = client.post(reverse("api:purchase-import"), upload(content))
    assert second.status_code == 201
    assert (second.json()["created"], second.json()["duplicate"]) == (0, 1)
    assert PurchaseInvoiceLine.objects.count() == 1
    assert PurchaseImport.objects.get(pk=second.json()["id"]).status == "done"


def test_api_refuses_a_request_without_a_file(world):
    response = world.client("vendor_admin").post(reverse("api:purchase-import"), {})
    assert response.status_code == 400
    assert response.json()["file"] == ["This field is required."]


def test_command_exit_codes_and_idempotent_reimport(world, sku, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(csv(f"INV-1,1,P-A,SW-24,{day()},10,900.00,TWD"))
    call_command("import_purchases", str(good))
    call_command("import_purchases", str(good))
    out = capsys.readouterr().out
    assert "created: 1" in out
    assert "created: 0\nduplicate: 1\nrejected: 0" in out
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_purchases", str(tmp_path / "missing.csv"))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(CommandError):
        call_command("import_purchases", str(empty))
    assert "row 0, file: The file is empty." in capsys.readouterr().out
    assert PurchaseInvoiceLine.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")
def test_a_hostile_file_on_postgresql_keeps_the_good_rows(world, sku):
    content = (
        HEADER.encode()
        + f"OK-1,1,P-A,SW-24,{day()},1,1.00,TWD\n".encode()
        + b"NUL-\x00,1,P-A,SW-24,"
        + day().encode()
        + b",1,1,TWD\n"
        + b"BAD-\xff\xfe,1,P-A,SW-24,"
        + day().encode()
        + b",1,1,TWD\n"
        + b"RAGGED,1\n"
        + b'"'
        + b"H" * 200_000
        + b'",1,P-A,SW-24,'
        + day().encode()
        + b",1,1,TWD\n"
        + b"=CMD(),1,P-A,SW-24,"
        + day().encode()
        + b",1,1,TWD\n"
        + f"OK-2,1,P-A,SW-24,{day()},2,1.00,TWD\n".encode()
    )
    result = purchases_import(content=content, filename="hostile.csv")
    assert result.created == 3
    assert [(r.row, r.column) for r in result.rejected] == [
        (3, "invoice_number"),
        (4, "invoice_number"),
        (5, "row"),
        (6, "invoice_number"),
    ]
    assert result.rejected[3].reason == "longer than 64"
    assert PurchaseRejection.objects.filter(batch=result.batch).count() == 4
    assert PurchaseInvoiceLine.objects.filter(invoice_number="=CMD()").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_a_line_naming_a_missing_partner_or_product_is_refused_by_the_database(world, sku):
    from django.db import IntegrityError, transaction

    fields = {
        "invoice_number": "T-1",
        "line": 1,
        "invoice_date": timezone.localdate(),
        "quantity": 1,
        "unit_net_price": 1,
        "currency": "TWD",
    }
    for references in (
        {"partner_id": 999_999, "product_id": sku.pk},
        {"partner_id": world.partner.pk, "product_id": 999_999},
        {"partner_id": world.partner.pk, "product_id": sku.pk, "batch_id": 999_999},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            PurchaseInvoiceLine.objects.create(**fields, **references)
    PurchaseInvoiceLine.objects.create(**fields, partner_id=world.partner.pk, product_id=sku.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")
def test_a_line_stored_meanwhile_by_another_import_counts_as_a_duplicate(world, sku, monkeypatch):
    from funds.purchase_sql import PurchaseSqlImport

    checked = PurchaseSqlImport._check_file

    def then_another_import_stores_a_line(job):
        checked(job)
        PurchaseInvoiceLine.objects.create(
            invoice_number="INV-1",
            line=2,
            partner=world.partner,
            product=sku,
            invoice_date=timezone.localdate(),
            quantity=1,
            unit_net_price=1,
            currency="TWD",
        )

    monkeypatch.setattr(PurchaseSqlImport, "_check_file", then_another_import_stores_a_line)
    result = purchases_import(
        content=csv(
            f"INV-1,1,P-A,SW-24,{day()},1,1,TWD",
            f"INV-1,2,P-A,SW-24,{day()},1,1,TWD",
            f"INV-1,3,P-A,SW-24,{day()},1,1,TWD",
        )
    )
    assert (result.created, result.duplicates, result.rejected) == (2, 1, [])
    assert (result.batch.created, result.batch.duplicates) == (2, 1)
    assert result.batch.lines.count() == 2


def test_the_sweep_runs_an_upload_no_worker_took_and_fails_one_that_kept_dying(
    world, sku, broker_down, settings
):
    from django.core.files.storage import default_storage

    from funds.purchases import MAX_ATTEMPTS, purchases_imports_sweep

    assert "funds.tasks.purchases_imports_sweep_task" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    client = world.client("vendor_admin")
    for name in ("late.csv", "dying.csv"):
        client.post(
            reverse("purchase_import_list"),
            upload(csv(f"{name},1,P-A,SW-24,{day()},1,1,TWD"), name),
        )
    late, dying = PurchaseImport.objects.order_by("pk")
    later = timezone.now() + dt.timedelta(hours=1)
    PurchaseImport.objects.filter(pk=dying.pk).update(
        status="running", attempts=MAX_ATTEMPTS, updated_at=timezone.now() - dt.timedelta(days=1)
    )
    assert purchases_imports_sweep(storage=default_storage, now=later) == 1
    late.refresh_from_db()
    dying.refresh_from_db()
    assert (late.status, late.created) == ("done", 1)
    assert dying.status == "failed"
    assert "tried 3 times" in dying.error
    assert purchases_imports_sweep(storage=default_storage, now=later) == 0
