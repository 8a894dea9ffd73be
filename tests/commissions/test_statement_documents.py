"""Statement documents: the PDF in both languages (rendered to images and read back as text),
the Excel export, the partner's acknowledgement (pages and API) and the approval email's PDF."""

import io
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from commissions.models import Statement, StatementLine
from commissions.services.statements import statement_acknowledge, statement_approve
from commissions.statement_pdf import partner_language, statement_context
from prm.core.errors import DomainError

from .test_views import payouts  # noqa: F401  (fixture)
from .test_views_carry_accrual import carried  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def pdf_pages_as_images(content: bytes) -> list[Image.Image]:
    """Each page drawn by pdftoppm at 60 dpi."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "statement.pdf"
        source.write_bytes(content)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(source), str(Path(folder) / "page")], check=True
        )
        return [Image.open(path).convert("L") for path in sorted(Path(folder).glob("page*.png"))]


def ink(image: Image.Image) -> float:
    """The share of the page's pixels that are not white."""
    histogram = image.histogram()
    return 1 - sum(histogram[240:]) / (image.width * image.height)


@pytest.fixture
def approved(world, payouts):  # noqa: F811
    return statement_approve(statement=payouts, actor=world.users["vendor_admin"])


class TestStatementPdf:
    def test_the_partner_downloads_it_in_english(self, world, approved):
        response = world.client("partner_finance").get(
            reverse("statement_pdf", kwargs={"pk": approved.pk})
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert 'filename="statement-P-A-2026-10.pdf"' in response["Content-Disposition"]
        content = response.content
        text = pdf_text(content)
        assert "Statement 2026-10" in text
        assert "Acme Trading (P-A)" in text
        assert "2026-10-01 – 2026-10-31" in text
        # The line and its derivation, the total, and the sales behind it.
        assert "Networking, percent: 40,000.00 × 5% = 2,000.00" in text
        assert "2,000.00 TWD" in text
        assert "40,000.00" in text
        pages = pdf_pages_as_images(content)
        assert len(pages) == 1
        assert ink(pages[0]) > 0.01

    def test_in_chinese_the_glyphs_are_drawn(self, world, approved):
        user = world.users["partner_admin"]
        user.language = "zh-hant"
        user.save(update_fields=["language"])
        response = world.client("partner_admin").get(
            reverse("statement_pdf", kwargs={"pk": approved.pk})
        )
        assert response.status_code == 200
        assert 'filename="statement-P-A-2026-10-zh-hant.pdf"' in response["Content-Disposition"]
        text = pdf_text(response.content)
        for chinese in ("計算方式", "明細", "總計", "合作夥伴", "幣別", "期間", "已核准"):
            assert chinese in text, chinese
        assert "How it was computed" not in text
        # The Chinese page carries ink where the English one has Latin glyphs: compare the
        # rendering of the same statement in both languages; both are drawn, and they differ.
        english = world.client("partner_finance").get(
            reverse("statement_pdf", kwargs={"pk": approved.pk})
        )
        zh_page = pdf_pages_as_images(response.content)[0]
        en_page = pdf_pages_as_images(english.content)[0]
        assert ink(zh_page) > 0.01
        assert zh_page.tobytes() != en_page.tobytes()
        fonts = subprocess.run(
            ["pdffonts", "-"], input=response.content, capture_output=True, check=False
        ).stdout.decode()
        assert "CJK" in fonts or fonts == ""

    def test_vendor_staff_choose_the_language(self, world, approved):
        url = reverse("statement_pdf", kwargs={"pk": approved.pk})
        client = world.client("cm_assigned")
        assert "明細" in pdf_text(client.get(url, {"lang": "zh-hant"}).content)
        assert "How it was computed" in pdf_text(client.get(url, {"lang": "en"}).content)
        # Without a choice: the partner's users' language.
        for role in ("partner_admin", "partner_finance"):
            user = world.users[role]
            user.language = "zh-hant"
            user.save(update_fields=["language"])
        assert partner_language(world.partner) == "zh-hant"
        assert "明細" in pdf_text(client.get(url).content)
        page = client.get(reverse("statement_detail", kwargs={"pk": approved.pk}))
        assert f'{url}?lang=zh-hant"' in page.content.decode()

    def test_a_draft_has_no_document(self, world, payouts):  # noqa: F811
        for role in ("vendor_admin", "partner_admin"):
            response = world.client(role).get(reverse("statement_pdf", kwargs={"pk": payouts.pk}))
            assert response.status_code == 404
        page = world.client("partner_admin").get(
            reverse("statement_detail", kwargs={"pk": payouts.pk})
        )
        assert reverse("statement_pdf", kwargs={"pk": payouts.pk}) not in page.content.decode()

    def test_out_of_reach(self, world, approved):
        url = reverse("statement_pdf", kwargs={"pk": approved.pk})
        assert world.client("other_partner").get(url).status_code == 404
        assert world.client("cm_unassigned").get(url).status_code == 404
        assert world.client("partner_sales").get(url).status_code == 403

    def test_adjustments_and_bank_details_appear(self, world, payouts):  # noqa: F811
        from commissions.services.bank import bank_details_save

        bank_details_save(
            partner=world.partner,
            actor=world.users["partner_admin"],
            data={
                "bank_name": "Cathay United",
                "account_holder": "Acme Trading Ltd",
                "account_number": "0123-4567-8901",
                "branch_code": "UWCBTWTP",
                "currency": "TWD",
            },
        )
        StatementLine.objects.create(
            statement=payouts,
            position=9,
            kind="adjustment",
            description="Rebate for order 77",
            amount="150.00",
        )
        approved = statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        text = pdf_text(
            world.client("partner_admin")
            .get(reverse("statement_pdf", kwargs={"pk": approved.pk}))
            .content
        )
        assert "Adjustment: Rebate for order 77" in text
        assert "Cathay United" in text
        # The account number masked but its last four characters.
        assert "8901 · TWD" in text
        assert "0123" not in text
        assert "4567" not in text

    def test_the_context_is_read_in_a_fixed_number_of_queries(
        self,
        world,
        payouts,  # noqa: F811
        django_assert_num_queries,
    ):
        for position in range(2, 12):
            StatementLine.objects.create(
                statement=payouts, position=position, kind="rule", description="x", amount="1"
            )
        approved = statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        statement = Statement.objects.select_related("partner").get(pk=approved.pk)
        # lines, adjustments, sales summary
        with django_assert_num_queries(3):
            context = statement_context(statement)
        assert len(context["lines"]) == 11


class TestApprovalEmail:
    def test_each_reader_gets_the_pdf_in_their_language(
        self,
        world,
        payouts,  # noqa: F811
        django_capture_on_commit_callbacks,
    ):
        finance = world.users["partner_finance"]
        finance.language = "zh-hant"
        finance.save(update_fields=["language"])
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        by_address = {message.to[0]: message for message in mail.outbox}
        assert set(by_address) == {"admin@a.test", "finance@a.test"}
        for address, marker in (
            ("admin@a.test", "How it was computed"),
            ("finance@a.test", "明細"),
        ):
            message = by_address[address]
            [(filename, content, mimetype)] = message.attachments
            assert mimetype == "application/pdf"
            assert filename.startswith("statement-P-A-2026-10")
            assert content.startswith(b"%PDF")
            assert marker in pdf_text(content)
        assert "attached as a PDF" in by_address["admin@a.test"].body


class TestExcelExport:
    def test_two_sheets_text_never_a_formula(self, world, payouts):  # noqa: F811
        StatementLine.objects.create(
            statement=payouts,
            position=2,
            kind="adjustment",
            description='=HYPERLINK("http://evil.test","x")',
            amount="-12.50",
        )
        statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        response = world.client("partner_finance").get(reverse("statement_export_xlsx"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["Statements", "Lines"]
        statements = list(workbook["Statements"].values)
        assert statements[0][:6] == (
            "partner",
            "period",
            "status",
            "currency",
            "net_sales",
            "total",
        )
        assert statements[1][:6] == ("P-A", "2026-10", "approved", "TWD", 40000, 2000)
        assert (statements[0][8], statements[1][8]) == ("carried_forward", 0)
        lines = workbook["Lines"]
        rows = list(lines.values)
        assert [r[3] for r in rows[1:]] == [1, 2]
        evil = lines.cell(row=3, column=6)
        assert evil.data_type == "s"
        assert evil.value.startswith("=HYPERLINK")
        assert lines.cell(row=3, column=7).value == -12.5

    def test_scoped_like_the_csv(self, world, approved):
        for role in ("other_partner", "cm_unassigned"):
            workbook = load_workbook(
                io.BytesIO(world.client(role).get(reverse("statement_export_xlsx")).content)
            )
            assert len(list(workbook["Statements"].values)) == 1, role
        assert (
            world.client("partner_sales").get(reverse("statement_export_xlsx")).status_code == 403
        )


class TestAcknowledgement:
    def test_partner_acknowledges_and_the_vendor_sees_it(self, world, approved):
        client = world.client("partner_finance")
        detail = reverse("statement_detail", kwargs={"pk": approved.pk})
        assert 'id="acknowledge-statement"' in client.get(detail).content.decode()
        response = client.post(reverse("statement_acknowledge", kwargs={"pk": approved.pk}))
        assert response["Location"] == detail
        approved.refresh_from_db()
        assert approved.acknowledged_by == world.users["partner_finance"]
        assert approved.acknowledged_at is not None
        page = client.get(detail).content.decode()
        assert 'id="acknowledge-statement"' not in page
        # Disputing a line still works from the acknowledged statement.
        assert reverse("case_open") + "?line=" in page
        vendor = world.client("vendor_admin")
        assert "acknowledged" in vendor.get(detail).content.decode()
        listing = vendor.get(reverse("statement_list"), {"acknowledged": "yes"})
        assert [s.pk for s in listing.context["statements"]] == [approved.pk]
        listing = vendor.get(reverse("statement_list"), {"acknowledged": "no"})
        assert list(listing.context["statements"]) == []

    def test_a_second_acknowledgement_keeps_the_first(self, world, approved):
        first = statement_acknowledge(statement=approved, actor=world.users["partner_admin"])
        again = statement_acknowledge(statement=approved, actor=world.users["partner_finance"])
        assert again.acknowledged_by == world.users["partner_admin"]
        assert again.acknowledged_at == first.acknowledged_at

    def test_a_draft_cannot_be_acknowledged(self, world, payouts):  # noqa: F811
        with pytest.raises(DomainError, match="Only an approved statement"):
            statement_acknowledge(statement=payouts, actor=world.users["partner_admin"])
        response = world.client("partner_admin").post(
            reverse("statement_acknowledge", kwargs={"pk": payouts.pk}), follow=True
        )
        assert "Only an approved statement can be acknowledged." in response.content.decode()
        payouts.refresh_from_db()
        assert payouts.acknowledged_at is None

    def test_only_the_partners_own_admins_and_finance(self, world, approved):
        with pytest.raises(DomainError):
            statement_acknowledge(statement=approved, actor=world.users["vendor_admin"])
        url = reverse("statement_acknowledge", kwargs={"pk": approved.pk})
        assert world.client("other_partner").post(url).status_code == 404
        assert world.client("partner_sales").post(url).status_code == 403
        assert world.client("vendor_admin").post(url).status_code == 403

    def test_api(self, world, approved):
        client = world.client("partner_admin")
        items = client.get(reverse("api:statement-list"), {"period": "2026-10"}).json()
        assert list(items[0]) == [
            "partner",
            "period",
            "status",
            "currency",
            "total",
            "carried_forward",
            "lines",
            "id",
            "acknowledged_at",
        ]
        assert items[0]["acknowledged_at"] is None
        assert items[0]["id"] == approved.pk
        response = client.post(reverse("api:statement-acknowledge", kwargs={"pk": approved.pk}))
        assert response.status_code == 200
        approved.refresh_from_db()
        assert response.json()["acknowledged_at"] is not None
        items = client.get(reverse("api:statement-list"), {"period": "2026-10"}).json()
        assert items[0]["acknowledged_at"] == response.json()["acknowledged_at"]
        other = world.client("other_partner")
        url = reverse("api:statement-acknowledge", kwargs={"pk": approved.pk})
        assert other.post(url).status_code == 404

    def test_api_refuses_a_draft(self, world, payouts):  # noqa: F811
        response = world.client("partner_admin").post(
            reverse("api:statement-acknowledge", kwargs={"pk": payouts.pk})
        )
        assert response.status_code == 400
        assert response.json()["status"] == ["Only an approved statement can be acknowledged."]


class TestFreezeTrigger:
    """The database lets the acknowledgement through once, on approved and paid statements."""

    def test_paid_statement_can_be_acknowledged_once(self, world, approved):
        from django.db import IntegrityError, transaction

        from commissions.services.statements import statement_mark_paid

        paid = statement_mark_paid(statement=approved, actor=world.users["vendor_admin"])
        acknowledged = statement_acknowledge(statement=paid, actor=world.users["partner_admin"])
        assert acknowledged.acknowledged_at is not None
        with pytest.raises(IntegrityError), transaction.atomic():
            Statement.objects.filter(pk=paid.pk).update(
                acknowledged_by=world.users["partner_finance"]
            )
        with pytest.raises(IntegrityError), transaction.atomic():
            Statement.objects.filter(pk=paid.pk).update(acknowledged_at=None)
        with pytest.raises(IntegrityError), transaction.atomic():
            Statement.objects.filter(pk=paid.pk).update(total="1.00")


def test_sales_summary_by_currency_and_kind(world, payouts):  # noqa: F811
    import datetime as dt
    from decimal import Decimal

    from commissions.models import Sale
    from commissions.statement_pdf import sales_summary

    original = Sale.objects.get(external_id="S-0")
    Sale.objects.create(
        external_id="R-1",
        partner=world.partner,
        product=original.product,
        customer_name="Customer",
        invoice_date=dt.date(2026, 10, 20),
        kind="return",
        quantity=Decimal("1"),
        net_amount=Decimal("2500.00"),
        currency="TWD",
        original=original,
    )
    Sale.objects.create(
        external_id="S-NOV",
        partner=world.partner,
        product=original.product,
        customer_name="Customer",
        invoice_date=dt.date(2026, 11, 1),
        kind="sale",
        quantity=Decimal("1"),
        net_amount=Decimal("999.00"),
        currency="TWD",
    )
    assert sales_summary(payouts) == [
        {
            "currency": "TWD",
            "kind": "return",
            "count": 1,
            "amount": Decimal("2500.00"),
            "converted": Decimal("2500.00"),
        },
        {
            "currency": "TWD",
            "kind": "sale",
            "count": 2,
            "amount": Decimal("40000.00"),
            "converted": Decimal("40000.00"),
        },
    ]


class TestCarriedForwardAndConvertedSales:
    """A statement whose negative total is carried says so and names the next statement; the
    next one's carried line says where it comes from; converted sales are summed by the currency
    they were invoiced in, with the statement's currency beside them."""

    @pytest.fixture
    def carried_approved(self, world, carried):  # noqa: F811
        for period in ("2026-09", "2026-10", "2026-11"):
            statement_approve(
                statement=Statement.objects.get(period=period), actor=world.users["vendor_admin"]
            )
        return {p: Statement.objects.get(period=p) for p in ("2026-10", "2026-11")}

    def _pdf(self, world, statement, language):
        url = reverse("statement_pdf", kwargs={"pk": statement.pk})
        return world.client("cm_assigned").get(url, {"lang": language}).content

    def test_the_carrying_statement_pays_nothing_and_names_the_next_one(
        self, world, carried_approved
    ):
        october = carried_approved["2026-10"]
        assert october.carried_forward == Decimal("-968.80")
        text = " ".join(pdf_text(self._pdf(world, october, "en")).split())
        assert "Payable 0.00 TWD" in text
        assert (
            "The total is negative, so this statement pays nothing: -968.80 TWD is carried "
            "forward to the partner's next statement. Statement 2026-11"
        ) in text.replace("−", "-")
        chinese = " ".join(pdf_text(self._pdf(world, october, "zh-hant")).split())
        assert "應付金額 0.00 TWD" in chinese
        assert "總額為負，因此本對帳單不付款" in chinese
        assert "2026-11" in chinese

    def test_the_carried_line_says_where_it_comes_from(self, world, carried_approved):
        november = carried_approved["2026-11"]
        text = " ".join(pdf_text(self._pdf(world, november, "en")).split()).replace("−", "-")
        assert "Carried forward from 2026-10: -968.80" in text
        assert "The negative total of the statement of 2026-10, which paid nothing" in text
        # November (-968.80 + 500.00) carries again, into December.
        assert "pays nothing: -468.80 TWD is carried forward" in text
        assert "Statement 2026-12" in text
        chinese = " ".join(pdf_text(self._pdf(world, november, "zh-hant")).split())
        assert "自 2026-10 結轉" in chinese
        assert "2026-10 的對帳單總額為負" in chinese

    def test_converted_sales_are_summed_in_the_currency_they_were_invoiced_in(
        self,
        world,
        payouts,  # noqa: F811
    ):
        import datetime as dt

        from commissions.models import Sale
        from commissions.statement_pdf import sales_summary

        product = Sale.objects.get(external_id="S-0").product
        for n, (usd, twd) in enumerate([("100.01", "3150.32"), ("20.00", "630.00")]):
            Sale.objects.create(
                external_id=f"S-USD-{n}",
                partner=world.partner,
                product=product,
                customer_name="Customer",
                invoice_date=dt.date(2026, 10, 12),
                kind="sale",
                quantity=Decimal("1"),
                net_amount=Decimal(twd),
                currency="TWD",
                original_amount=Decimal(usd),
                original_currency="USD",
                exchange_rate=Decimal("31.5"),
                rate_date=dt.date(2026, 10, 1),
            )
        assert sales_summary(payouts) == [
            {
                "currency": "TWD",
                "kind": "sale",
                "count": 2,
                "amount": Decimal("40000.00"),
                "converted": Decimal("40000.00"),
            },
            {
                "currency": "USD",
                "kind": "sale",
                "count": 2,
                "amount": Decimal("120.01"),
                "converted": Decimal("3780.32"),
            },
        ]
        approved = statement_approve(statement=payouts, actor=world.users["vendor_admin"])
        english = " ".join(pdf_text(self._pdf(world, approved, "en")).split())
        assert "TWD Sale 2 40,000.00 TWD" in english
        assert "USD Sale 2 120.01 USD 3,780.32 TWD" in english
        chinese = " ".join(pdf_text(self._pdf(world, approved, "zh-hant")).split())
        assert "120.01 USD 3,780.32 TWD" in chinese
