"""Payout pages, sales import pages and the commissions API, by role."""

import contextlib
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from agreements.services.agreements import Terms, agreement_create, agreement_version_accept
from agreements.services.program import program_load
from commissions.charts import payout_trend
from commissions.models import ImportBatch, RecomputeRequest, Sale, Statement
from commissions.selectors import statement_list, statement_list_with_sums
from commissions.services.compute import recompute
from commissions.templatetags.payouts import line_text, payout_trend_chart
from partners.models import Partner

from ..agreements.factories import ProductFactory, ProductLineFactory
from ..factories import PartnerFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,partner_code,sku,customer_name,customer_tax_id,segment,territory,"
    "invoice_date,kind,quantity,net_amount,currency,original_external_id\n"
)


@pytest.fixture
def payouts(world):
    net = ProductLineFactory(code="NET", name="Networking")
    switch = ProductFactory(sku="SW-24", line=net)
    ProductFactory(sku="AP-1", line=ProductLineFactory(code="WLS"))
    program_load(
        {
            "commission_plans": [
                {
                    "code": "STD",
                    "settlement": "month",
                    "clawback_days": 60,
                    "rules": [{"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}],
                }
            ]
        },
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
    version.refresh_from_db()
    # The version counts from the contract's start, as a loaded signed contract would.
    type(version).objects.filter(pk=version.pk).update(in_force_from=dt.date(2026, 1, 1))
    for n, amount in enumerate(["10000.00", "30000.00"]):
        Sale.objects.create(
            external_id=f"S-{n}",
            partner=world.partner,
            product=switch,
            customer_name="Customer",
            invoice_date=dt.date(2026, 10, 5 + n),
            kind="sale",
            quantity=Decimal("1"),
            net_amount=Decimal(amount),
            currency="TWD",
        )
    recompute(month_label="2026-10")
    return Statement.objects.get(partner=world.partner, period="2026-10")


def test_partner_finance_sees_the_explained_statement(world, payouts):
    client = world.client("partner_finance")
    listing = client.get(reverse("statement_list"))
    assert [s.period for s in listing.context["statements"]] == ["2026-10"]
    assert listing.context["trend"]["bars"][0]["total"] == Decimal("2000.00")
    page = client.get(reverse("statement_detail", args=[payouts.pk]))
    body = page.content.decode()
    assert "Networking, percent: 40,000.00 × 5% = 2,000.00" in body
    assert "Show the sales behind this line" in body
    assert "approve-statement" not in body


def test_statement_list_rows(world, payouts):
    """Period, partner (vendor staff), status, net sales, total with its currency, computed and
    acknowledged."""
    vendor = world.client("vendor_admin").get(reverse("statement_list")).content.decode()
    row = re.search(
        rf'<tr>\s*<td class="stack-title"><a href="/payouts/{payouts.pk}/">.*?</tr>', vendor, re.S
    )
    cells = [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    computed = timezone.localtime(payouts.computed_at).strftime("%Y-%m-%d %H:%M")
    assert cells == [
        f'<a href="/payouts/{payouts.pk}/">2026-10</a>',
        'Acme Trading <span class="small text-body-secondary">P-A</span>',
        f'<span class="badge rounded-pill status-badge statement-status-{payouts.status}">'
        f"{payouts.get_status_display()}</span>",
        "40,000.00",
        '2,000.00 <small class="text-body-secondary">TWD</small>',
        computed,
        "—" if payouts.status == "draft" else '<span class="text-body-secondary">Not yet</span>',
    ]
    Statement.objects.filter(pk=payouts.pk).update(
        status="approved", acknowledged_at=timezone.now()
    )
    partner = world.client("partner_finance").get(reverse("statement_list")).content.decode()
    row = re.search(r'<tr>\s*<td class="stack-title">.*?</tr>', partner, re.S)
    cells = [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    assert len(cells) == 6
    assert cells[-1] == (
        '<i class="bi bi-check2-square text-success" aria-hidden="true"></i> '
        f"{timezone.localdate():%Y-%m-%d}"
    )
    empty = world.client("partner_finance").get(reverse("statement_list"), {"status": "paid"})
    assert "No statements yet." in empty.content.decode()


def test_statement_list_rows_in_each_state(world):
    """Each status's badge, "Not yet" for an approved or paid statement not acknowledged, the
    date of an acknowledgement, amounts at their currency's minor unit, an escaped name."""
    Partner.objects.filter(pk=world.other_partner.pk).update(name="<b>Bravo</b>")
    start = dt.date(2026, 9, 1)
    rows = {}
    for status, partner, currency, acknowledged in [
        ("draft", world.partner, "TWD", False),
        ("approved", world.other_partner, "JPY", False),
        ("paid", PartnerFactory(code="P-C", name="Charlie"), "USD", True),
    ]:
        statement = Statement.objects.create(
            partner=partner,
            period="2026-09",
            period_start=start,
            period_end=start,
            currency=currency,
            status=status,
            net_sales=Decimal("12345.675"),
            total=Decimal("-1234.5"),
            computed_at=timezone.now() if status != "draft" else None,
            acknowledged_at=timezone.now() if acknowledged else None,
        )
        rows[status] = statement
    vendor = world.client("vendor_admin").get(reverse("statement_list")).content.decode()

    def cells(statement):
        row = re.search(
            rf'<tr>\s*<td class="stack-title"><a href="/payouts/{statement.pk}/">.*?</tr>',
            vendor,
            re.S,
        )
        return [" ".join(c.split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]

    badge = '<span class="badge rounded-pill status-badge statement-status-{}">{}</span>'
    draft, approved, paid = cells(rows["draft"]), cells(rows["approved"]), cells(rows["paid"])
    assert draft[1:] == [
        'Acme Trading <span class="small text-body-secondary">P-A</span>',
        badge.format("draft", "Draft"),
        "12,345.68",
        '-1,234.50 <small class="text-body-secondary">TWD</small>',
        "—",
        "—",
    ]
    computed = timezone.localtime(rows["approved"].computed_at).strftime("%Y-%m-%d %H:%M")
    assert approved[1:] == [
        '&lt;b&gt;Bravo&lt;/b&gt; <span class="small text-body-secondary">P-B</span>',
        badge.format("approved", "Approved"),
        "12,346",
        '-1,235 <small class="text-body-secondary">JPY</small>',
        computed,
        '<span class="text-body-secondary">Not yet</span>',
    ]
    assert paid[2:4] == [badge.format("paid", "Paid"), "12,345.68"]
    assert paid[-1] == (
        '<i class="bi bi-check2-square text-success" aria-hidden="true"></i> '
        f"{timezone.localdate():%Y-%m-%d}"
    )


def test_payout_trend_chart():
    """Bars oldest first, each with its period and total as text, a negative total marked;
    the same figures as a table."""
    statements = [
        Statement(period="2026-09", total=Decimal("-500.00"), currency="TWD", status="draft"),
        Statement(period="2026-08", total=Decimal("1000.00"), currency="TWD", status="paid"),
    ]
    html = payout_trend_chart(payout_trend(statements), "trend")
    assert html.startswith(
        '<svg class="trend-chart" id="trend" viewBox="0 0 140 150" role="img" '
        'aria-labelledby="trend-title trend-desc">\n'
        '  <title id="trend-title">Payout totals by period</title>\n'
        '  <desc id="trend-desc">2026-08: 1,000.00 TWD; 2026-09: -500.00 TWD</desc>\n'
    )
    assert (
        '<rect class="bar" x="10" y="25" width="40" height="100">'
        "<title>2026-08: 1,000.00 TWD</title></rect>\n"
        '    <text x="30" y="140" text-anchor="middle">2026-08</text>\n'
        '    <text x="30" y="21" text-anchor="middle">1,000.00</text>'
    ) in html
    assert '<rect class="bar negative" x="70" y="75" width="40" height="50">' in html
    assert html.endswith(
        '<caption class="small">The same figures as a table</caption>\n'
        '    <thead><tr><th scope="col">Period</th><th scope="col" class="num">Total</th>'
        "</tr></thead>\n"
        '    <tbody><tr><th scope="row" class="fw-normal">2026-08</th>'
        '<td class="num">1,000.00</td></tr>'
        '<tr><th scope="row" class="fw-normal">2026-09</th><td class="num">-500.00</td></tr>'
        "</tbody>\n  </table>\n</div>\n"
    )


def test_sales_behind_a_line(world, payouts):
    response = world.client("partner_admin").get(
        reverse("statement_line_sales", args=[payouts.pk, 1]), HTTP_HX_REQUEST="true"
    )
    assert [s.external_id for s in response.context["sales"]] == ["S-0", "S-1"]
    assert (
        world.client("partner_admin")
        .get(reverse("statement_line_sales", args=[payouts.pk, 9]))
        .status_code
        == 404
    )


def test_other_partner_and_sales_role_cannot_see_it(world, payouts):
    assert (
        world.client("other_partner")
        .get(reverse("statement_detail", args=[payouts.pk]))
        .status_code
        == 404
    )
    assert world.client("partner_sales").get(reverse("statement_list")).status_code == 403


def test_vendor_admin_approves_then_pays(world, payouts):
    client = world.client("vendor_admin")
    assert (
        "approve-statement"
        in client.get(reverse("statement_detail", args=[payouts.pk])).content.decode()
    )
    client.post(reverse("statement_approve", args=[payouts.pk]))
    payouts.refresh_from_db()
    assert payouts.status == "approved"
    client.post(reverse("statement_pay", args=[payouts.pk]), {"reference": "TT-2026-1101"})
    payouts.refresh_from_db()
    assert (payouts.status, payouts.payment_reference) == ("paid", "TT-2026-1101")
    again = client.post(reverse("statement_approve", args=[payouts.pk]), follow=True)
    assert "Only a draft statement can be approved" in again.content.decode()


def test_statement_list_queries_are_constant(world, payouts, django_assert_num_queries):
    client = world.client("vendor_admin")
    client.get(reverse("statement_list"))
    with django_assert_num_queries(LIST_QUERIES):
        client.get(reverse("statement_list"))
    for month in ("2026-07", "2026-08", "2026-09"):
        start = dt.date.fromisoformat(f"{month}-01")
        Statement.objects.create(
            partner=world.partner,
            period=month,
            period_start=start,
            period_end=start,
            currency="TWD",
        )
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("statement_list"))
    assert len(response.context["statements"]) == 4


@pytest.mark.parametrize("role", ["vendor_admin", "cm_assigned"])
def test_statements_by_period_slices_as_the_list_orders(world, role):
    partners = [world.partner, world.other_partner, *PartnerFactory.create_batch(2)]
    for month in ("2026-07", "2026-08", "2026-09"):
        start = dt.date.fromisoformat(f"{month}-01")
        for partner in partners[: 2 + int(month[-1]) % 3]:
            Statement.objects.create(
                partner=partner,
                period=month,
                period_start=start,
                period_end=start,
                currency="TWD",
            )
    user = world.users[role]
    expected = list(statement_list(user=user))
    sums, rows = statement_list_with_sums(user=user)
    assert rows.count() == len(expected) == (9 if role == "vendor_admin" else 3)
    assert sum(count for *_, count in sums) == len(expected)
    for start in range(len(expected)):
        for stop in range(start, len(expected) + 1):
            assert list(rows[start:stop]) == expected[start:stop]


# session, user, the totals and counts by currency and period start, the rates of the reporting
# total, and the page
LIST_QUERIES = 5


def test_statement_detail_queries_are_constant(world, payouts, django_assert_num_queries):
    client = world.client("partner_finance")
    url = reverse("statement_detail", args=[payouts.pk])
    client.get(url)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)


# session, user, memberships, statement, lines, corrections, the bank details in force (a draft),
# the line carrying this statement's negative total on, the partner's previous statement, and the
# plan segments (plan versions, agreement versions) that tell whether the partner's sales count on
# payment
DETAIL_QUERIES = 11


def test_csv_export(world, payouts):
    text = world.client("partner_finance").get(reverse("statement_export")).content.decode()
    rows = text.lstrip("\ufeff").splitlines()
    assert rows[0] == "partner,period,status,currency,total,line,description,amount,carried_forward"
    assert rows[1].startswith("P-A,2026-10,draft,TWD,2000.00,1,")
    # A plan without carry-forward carries nothing.
    assert rows[1].endswith(",0.00")


def test_upload_page_queues_the_import_and_shows_progress(
    world, payouts, django_capture_on_commit_callbacks
):
    client = world.client("cm_assigned")
    content = HEADER + (
        "N-1,P-A,SW-24,Customer,,,,2026-10-20,sale,2,5000.00,TWD,\n"
        "N-2,P-A,NOPE,Customer,,,,2026-10-20,sale,2,5000.00,TWD,\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sales_import_list"),
            {"file": SimpleUploadedFile("october.csv", content.encode(), "text/csv")},
        )
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("sales_import_detail", args=[batch.pk])
    assert (batch.status, batch.created_count, batch.rejected_count) == ("done", 1, 1)
    page = client.get(reverse("sales_import_detail", args=[batch.pk]))
    assert "unknown SKU" in page.content.decode()
    rejected = client.get(reverse("sales_import_rejected", args=[batch.pk])).content.decode()
    assert rejected.lstrip("\ufeff").splitlines()[1] == "3,sku,unknown SKU 'NOPE'"


def test_upload_refuses_a_non_csv_file(world):
    response = world.client("vendor_admin").post(
        reverse("sales_import_list"),
        {"file": SimpleUploadedFile("sales.xlsx", b"PK\x03\x04\x00", "application/zip")},
    )
    assert response.status_code == 200
    assert "Upload a .csv file." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_recompute_progress_page(world, payouts):
    client = world.client("vendor_admin")
    response = client.post(reverse("recompute"), {"period": "2026-10"})
    request = RecomputeRequest.objects.latest("created_at")
    assert response["Location"] == reverse("recompute_detail", args=[request.pk])
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    bad = client.post(reverse("recompute"), {"period": "October"}, follow=True)
    assert "YYYY-MM" in bad.content.decode()


def test_api_statements(world, payouts):
    data = (
        world.client("partner_finance")
        .get(reverse("api:statement-list"), {"period": "2026-10"})
        .json()
    )
    assert data == [
        {
            "partner": "P-A",
            "period": "2026-10",
            "status": "draft",
            "currency": "TWD",
            "total": "2000.00",
            "carried_forward": "0.00",
            "lines": [
                {
                    "description": "Networking, percent: 40,000.00 × 5% = 2,000.00",
                    "amount": "2000.00",
                }
            ],
            "id": payouts.pk,
            "acknowledged_at": None,
        }
    ]
    assert world.client("partner_finance").get(reverse("api:statement-list")).status_code == 400
    assert (
        world.client("other_partner")
        .get(reverse("api:statement-list"), {"period": "2026-10"})
        .json()
        == []
    )


def test_api_sales_import(world, payouts):
    client = world.client("vendor_admin")
    content = (
        HEADER
        + "A-1,P-A,SW-24,C,,,,2026-10-21,sale,1,100.00,TWD,\n"
        + "A-2,P-A,SW-24,C,,,,bad,sale,1,1.00,TWD,\n"
    )
    response = client.post(
        reverse("api:sales-import"),
        {"file": SimpleUploadedFile("s.csv", content.encode(), "text/csv")},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 0, 1)
    assert body["rejected_rows"] == [
        {"row": 3, "column": "invoice_date", "reason": "not a date (YYYY-MM-DD)"}
    ]
    again = client.post(
        reverse("api:sales-import"),
        {"file": SimpleUploadedFile("s.csv", content.encode(), "text/csv")},
    ).json()
    assert (again["created"], again["duplicate"]) == (0, 1)
    partner = world.client("partner_admin").post(reverse("api:sales-import"))
    assert partner.status_code == 403


def test_api_recompute(world, payouts):
    response = world.client("vendor_admin").post(reverse("api:recompute"), {"period": "2026-10"})
    assert response.status_code == 202
    assert RecomputeRequest.objects.filter(pk=response.json()["id"]).exists()
    manager = world.client("cm_assigned").post(
        reverse("api:recompute"), {"period": "2026-10", "partner": "P-A"}
    )
    assert manager.status_code == 202
    foreign = world.client("cm_unassigned").post(
        reverse("api:recompute"), {"period": "2026-10", "partner": "P-A"}
    )
    assert foreign.status_code == 404


def test_upload_while_the_broker_is_down_waits_for_the_sweep(
    world, payouts, broker_down, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from commissions.services.imports import sales_imports_sweep

    content = HEADER + "N-9,P-A,SW-24,Customer,,,,2026-10-20,sale,1,1000.00,TWD,\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = world.client("vendor_admin").post(
            reverse("sales_import_list"),
            {"file": SimpleUploadedFile("late.csv", content.encode(), "text/csv")},
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert batch.status == "pending"
    assert sales_imports_sweep(storage=default_storage) == 0  # still within the pickup grace

    later = timezone.now() + dt.timedelta(minutes=3)
    assert sales_imports_sweep(storage=default_storage, now=later) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("done", 1)
    assert sales_imports_sweep(storage=default_storage, now=later) == 0


def test_sweep_reruns_an_import_whose_worker_died(world, payouts):
    import datetime as dt

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from commissions.services.imports import sales_imports_sweep

    content = HEADER + "N-8,P-A,SW-24,Customer,,,,2026-10-20,sale,1,1000.00,TWD,\n"
    name = default_storage.save("imports/dead.csv", ContentFile(content.encode()))
    dead = ImportBatch.objects.create(filename="dead.csv", stored_file=name, sha256="x")
    alive = ImportBatch.objects.create(filename="alive.csv", stored_file=name, sha256="y")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ImportBatch.objects.filter(pk=dead.pk).update(status="running", updated_at=long_ago)
    ImportBatch.objects.filter(pk=alive.pk).update(status="running", created_at=long_ago)

    assert sales_imports_sweep(storage=default_storage) == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.created_count) == ("done", 1)
    assert alive.status == "running"  # it reported progress recently: its worker is alive


def test_a_late_sale_shows_as_a_restatement_on_the_next_draft_page_api_and_export(
    world, payouts, django_capture_on_commit_callbacks
):
    # given October approved, and November's draft
    from io import StringIO

    from django.core.management import call_command

    from commissions.services.imports import sales_import
    from commissions.services.statements import statement_approve

    statement_approve(statement=payouts, actor=world.users["vendor_admin"])
    exported = StringIO()
    call_command("export_statements", "--period", "2026-10", stdout=exported)
    row = "{},{},SW-24,Late Customer,,,TW-TPE,{},sale,1,{},TWD,\n"
    code = world.partner.code
    with django_capture_on_commit_callbacks(execute=True):
        sales_import(
            content=(HEADER + row.format("N-1", code, "2026-11-05", "1000.00")).encode(),
            filename="november.csv",
        )

    # when a sale dated 28 October arrives through an import (its recompute request runs)
    with django_capture_on_commit_callbacks(execute=True):
        sales_import(
            content=(HEADER + row.format("L-1", code, "2026-10-28", "100000.00")).encode(),
            filename="late.csv",
        )

    # then October is unchanged byte for byte, and November carries the difference
    again = StringIO()
    call_command("export_statements", "--period", "2026-10", stdout=again)
    assert again.getvalue() == exported.getvalue()
    november = Statement.objects.get(partner=world.partner, period="2026-11")
    line = november.lines.get(kind="restatement")
    assert (line.description, line.amount, line.restates) == (
        "2026-10 restated, Networking: +5,000.00",
        Decimal("5000.00"),
        payouts,
    )
    client = world.client("partner_finance")
    body = client.get(reverse("statement_detail", args=[november.pk])).content.decode()
    assert "2026-10 restated, Networking: +5,000.00" in body
    assert "Show the late sales behind this line" in body
    behind = client.get(
        reverse("statement_line_sales", args=[november.pk, line.position]), HTTP_HX_REQUEST="true"
    )
    assert [s.external_id for s in behind.context["sales"]] == ["L-1"]
    api = client.get(reverse("api:statement-list"), {"period": "2026-11"}).json()
    assert api[0]["lines"][-1] == {
        "description": "2026-10 restated, Networking: +5,000.00",
        "amount": "5000.00",
    }
    out = StringIO()
    call_command("export_statements", "--period", "2026-11", stdout=out)
    assert '"description": "2026-10 restated, Networking: +5,000.00"' in out.getvalue()
    with translation.override("zh-hant"):
        assert line_text(line, "TWD") == "2026-10 重算，Networking：+5,000.00"


# Import scope, failures and attempts -------------------------------------------------------------

SCOPED = HEADER + (
    "M-1,P-A,SW-24,C,,,,2026-10-21,sale,1,100.00,TWD,\n"
    "M-2,P-B,SW-24,C,,,,2026-10-21,sale,1,100.00,TWD,\n"
    "M-3,P-NOPE,SW-24,C,,,,2026-10-21,sale,1,100.00,TWD,\n"
)


def test_a_channel_manager_imports_through_the_api_only_for_assigned_partners(world, payouts):
    response = world.client("cm_assigned").post(
        reverse("api:sales-import"),
        {"file": SimpleUploadedFile("s.csv", SCOPED.encode(), "text/csv")},
    )

    body = response.json()
    # P-B exists but is not theirs: the same words as a code that does not exist.
    assert body["rejected_rows"] == [
        {"row": 3, "column": "partner_code", "reason": "unknown partner 'P-B'"},
        {"row": 4, "column": "partner_code", "reason": "unknown partner 'P-NOPE'"},
    ]
    assert list(Sale.objects.filter(external_id__startswith="M-").values_list("external_id")) == [
        ("M-1",)
    ]


def test_a_channel_manager_imports_through_the_page_only_for_assigned_partners(
    world, payouts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        world.client("cm_unassigned").post(
            reverse("sales_import_list"),
            {"file": SimpleUploadedFile("s.csv", SCOPED.encode(), "text/csv")},
        )

    batch = ImportBatch.objects.get()
    assert (batch.created_count, batch.rejected_count) == (0, 3)
    assert set(batch.rejections.values_list("reason", flat=True)) == {
        "unknown partner 'P-A'",
        "unknown partner 'P-B'",
        "unknown partner 'P-NOPE'",
    }
    assert not Sale.objects.filter(external_id__startswith="M-").exists()


def test_a_vendor_admin_imports_for_every_partner(world, payouts):
    body = (
        world.client("vendor_admin")
        .post(
            reverse("api:sales-import"),
            {"file": SimpleUploadedFile("s.csv", SCOPED.encode(), "text/csv")},
        )
        .json()
    )

    assert (body["created"], body["rejected"]) == (2, 1)


def test_a_failed_import_shows_its_reason_on_its_page_and_in_the_api(world, payouts):
    client = world.client("vendor_admin")
    response = client.post(
        reverse("api:sales-import"),
        {"file": SimpleUploadedFile("s.csv", HEADER.encode(), "text/csv")},
    )

    body = response.json()
    reason = "The file has a header row but no rows of sales."
    assert (body["status"], body["error"]) == ("failed", reason)
    page = client.get(reverse("sales_import_detail", args=[body["id"]])).content.decode()
    assert reason in page


def _stored_batch(content: str, **fields) -> ImportBatch:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("imports/t.csv", ContentFile(content.encode()))
    return ImportBatch.objects.create(filename="t.csv", stored_file=name, sha256="x", **fields)


def test_each_run_of_a_batch_counts_as_an_attempt(world, payouts):
    from django.core.files.storage import default_storage

    from commissions.services.imports import sales_import_run

    batch = _stored_batch(HEADER + "N-7,P-A,SW-24,C,,,,2026-10-20,sale,1,1000.00,TWD,\n")

    sales_import_run(batch_id=batch.pk, storage=default_storage)
    again = sales_import_run(batch_id=batch.pk, storage=default_storage)

    batch.refresh_from_db()
    assert (batch.status, batch.attempts, batch.created_count, again) == ("done", 1, 1, None)


def test_a_lost_connection_puts_the_batch_back_then_fails_it_after_three_attempts(
    world, payouts, monkeypatch
):
    from django.core.files.storage import default_storage
    from django.db import OperationalError

    from commissions.services import imports

    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(imports, "sales_import", lost)
    batch = _stored_batch(HEADER)

    states = []
    for _ in range(4):
        with contextlib.suppress(OperationalError):
            imports.sales_import_run(batch_id=batch.pk, storage=default_storage)
        batch.refresh_from_db()
        states.append((batch.status, batch.attempts))

    assert states == [("pending", 1), ("pending", 2), ("failed", 3), ("failed", 3)]
    assert batch.error == (
        "The import was tried 3 times and stopped each time before finishing (server closed the "
        "connection unexpectedly); it is not tried again. Upload the file again to retry."
    )


def test_the_sweep_fails_a_batch_whose_worker_died_three_times_and_runs_the_others(world, payouts):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from commissions.services.imports import sales_imports_sweep

    long_ago = timezone.now() - dt.timedelta(hours=1)
    dying = _stored_batch(HEADER + "N-1,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n")
    retried = _stored_batch(HEADER + "N-2,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n")
    queued = _stored_batch(HEADER + "N-3,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n")
    ImportBatch.objects.filter(pk=dying.pk).update(
        status="running", attempts=3, updated_at=long_ago, created_at=long_ago
    )
    ImportBatch.objects.filter(pk=retried.pk).update(
        status="running", attempts=1, updated_at=long_ago, created_at=long_ago
    )
    ImportBatch.objects.filter(pk=queued.pk).update(created_at=long_ago)

    assert sales_imports_sweep(storage=default_storage) == 2

    states = {b.pk: (b.status, b.attempts, b.created_count) for b in ImportBatch.objects.all()}
    assert states == {
        dying.pk: ("failed", 3, 0),
        retried.pk: ("done", 2, 1),
        queued.pk: ("done", 1, 1),
    }
    assert "its worker stopped" in ImportBatch.objects.get(pk=dying.pk).error


def test_a_batch_that_fails_does_not_stop_the_sweep(world, payouts, monkeypatch):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from commissions.services import imports

    long_ago = timezone.now() - dt.timedelta(hours=1)
    first = _stored_batch(HEADER + "N-1,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n")
    second = _stored_batch(HEADER + "N-2,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n")
    ImportBatch.objects.filter(pk__in=[first.pk, second.pk]).update(created_at=long_ago)
    real_run = imports.sales_import_run

    def run(*, batch_id, storage):
        if batch_id == first.pk:
            raise RuntimeError("storage unreachable")
        return real_run(batch_id=batch_id, storage=storage)

    monkeypatch.setattr(imports, "sales_import_run", run)

    assert imports.sales_imports_sweep(storage=default_storage) == 1
    assert ImportBatch.objects.get(pk=second.pk).status == "done"


def test_an_upload_whose_stored_file_is_gone_ends_failed(world, payouts):
    from django.core.files.storage import default_storage

    from commissions.services.imports import sales_import_run

    batch = ImportBatch.objects.create(
        filename="gone.csv", stored_file="imports/gone.csv", sha256="x"
    )

    sales_import_run(batch_id=batch.pk, storage=default_storage)

    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.error.startswith("The uploaded file cannot be read")


def test_a_formula_in_a_rejected_cell_is_neutralised_in_the_rejected_rows_download(world, payouts):
    client = world.client("vendor_admin")
    content = HEADER + (
        'F-1,P-A,SW-24,"=HYPERLINK(""http://x"",""y"")",,,,2026-10-20,sale,1,1.00,TWD,\n'
        "F-2,P-A,SW-24,C,,,,2026-10-20,sale,=1+2,1.00,TWD,\n"
    )
    body = client.post(
        reverse("api:sales-import"),
        {"file": SimpleUploadedFile("f.csv", content.encode(), "text/csv")},
    ).json()

    # The formula is stored as text; the reason quoting one is safe to open in a spreadsheet.
    assert Sale.objects.get(external_id="F-1").customer_name == '=HYPERLINK("http://x","y")'
    rejected = client.get(reverse("sales_import_rejected", args=[body["id"]])).content.decode()
    assert rejected.lstrip("\ufeff").splitlines()[1] == "3,quantity,'=1+2 is not a number"


def test_the_sweep_ends_a_direct_import_whose_process_ended(world, payouts):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from commissions.services.imports import sales_imports_sweep

    stuck = ImportBatch.objects.create(filename="cmd.csv", sha256="x")
    ImportBatch.objects.filter(pk=stuck.pk).update(
        status="running", updated_at=timezone.now() - dt.timedelta(hours=1)
    )

    sales_imports_sweep(storage=default_storage)

    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (
        "failed",
        "The import stopped before finishing (its process ended) and stored nothing.",
    )


def test_a_lost_connection_during_a_direct_import_ends_it_failed(world, payouts, monkeypatch):
    from django.db import OperationalError

    from commissions.services import imports
    from commissions.services.import_sql import SqlImport

    def lost(*args, **kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(imports, "_insert", lost)  # the Python checker's path
    monkeypatch.setattr(SqlImport, "_insert", lost)  # PostgreSQL's set-based path
    content = HEADER + "N-1,P-A,SW-24,C,,,,2026-10-20,sale,1,1.00,TWD,\n"

    result = imports.sales_import(content=content.encode(), filename="d.csv")

    assert (result.batch.status, result.batch.error) == (
        "failed",
        "The import stopped and stored nothing (deadlock detected).",
    )


def _converted(world, external_id: str, day: int = 7) -> Sale:
    """100.01 USD invoiced, converted at 31.50 of 2026-10-01: 3,150.32 TWD."""
    return Sale.objects.create(
        external_id=external_id,
        partner=world.partner,
        product=Sale.objects.get(external_id="S-0").product,
        customer_name="Customer",
        invoice_date=dt.date(2026, 10, day),
        kind="sale",
        quantity=Decimal("1"),
        net_amount=Decimal("3150.32"),
        currency="TWD",
        original_amount=Decimal("100.01"),
        original_currency="USD",
        exchange_rate=Decimal("31.5"),
        rate_date=dt.date(2026, 10, 1),
    )


def test_sales_behind_a_line_show_the_invoice_currency_amount_and_rate(world, payouts):
    _converted(world, "U-1")
    recompute(month_label="2026-10")

    response = world.client("partner_admin").get(
        reverse("statement_line_sales", args=[payouts.pk, 1]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "3,150.32" in body
    assert "100.01 USD at 31.50 (2026-10-01)" in body
    assert body.count('data-key="original"') == 1
    assert reverse("statement_line_sales_export", args=[payouts.pk, 1]) in body


def test_the_sales_export_of_a_line_keeps_the_original_currency(world, payouts):
    _converted(world, "U-1")
    recompute(month_label="2026-10")

    response = world.client("partner_finance").get(
        reverse("statement_line_sales_export", args=[payouts.pk, 1])
    )

    rows = response.content.decode("utf-8-sig").splitlines()
    assert rows[0] == (
        "external_id,invoice_date,sku,customer_name,kind,original_external_id,quantity,"
        "net_amount,currency,original_amount,original_currency,exchange_rate,rate_date"
    )
    assert rows[1:] == [
        "S-0,2026-10-05,SW-24,Customer,sale,,1,10000.00,TWD,,,,",
        "S-1,2026-10-06,SW-24,Customer,sale,,1,30000.00,TWD,,,,",
        "U-1,2026-10-07,SW-24,Customer,sale,,1,3150.32,TWD,100.01,USD,31.50,2026-10-01",
    ]
    client = world.client("partner_finance")
    assert (
        client.get(reverse("statement_line_sales_export", args=[payouts.pk, 9])).status_code == 404
    )
    assert (
        world.client("other_partner")
        .get(reverse("statement_line_sales_export", args=[payouts.pk, 1]))
        .status_code
        == 404
    )


def test_the_sales_api_of_a_line_keeps_the_original_currency(
    world, payouts, django_assert_num_queries
):
    _converted(world, "U-1")
    recompute(month_label="2026-10")
    client = world.client("partner_finance")
    url = reverse("api:statement-line-sales", args=[payouts.pk, 1])
    client.get(url)  # the session and the membership are read once before counting

    with django_assert_num_queries(10) as few:
        answer = client.get(url).json()
    _converted(world, "U-2", day=8)
    _converted(world, "U-3", day=9)
    recompute(month_label="2026-10")
    with django_assert_num_queries(len(few.captured_queries)):
        more = client.get(url).json()

    assert answer[0]["original_currency"] is None
    assert answer[2] == {
        "external_id": "U-1",
        "invoice_date": "2026-10-07",
        "sku": "SW-24",
        "customer_name": "Customer",
        "kind": "sale",
        "original_external_id": None,
        "quantity": "1",
        "net_amount": "3150.32",
        "currency": "TWD",
        "original_amount": "100.01",
        "original_currency": "USD",
        "exchange_rate": "31.50",
        "rate_date": "2026-10-01",
    }
    assert [s["external_id"] for s in more] == ["S-0", "S-1", "U-1", "U-2", "U-3"]
