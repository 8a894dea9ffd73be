import csv
import io
from decimal import Decimal
from urllib.parse import urlencode

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from partners.selectors import partner_get
from prm.accounts.sessions import reauthentication_missing
from prm.core.access import (
    PAYOUT_ROLES,
    VENDOR_ADMIN_ROLES,
    VENDOR_ROLES,
    Role,
    RoleRequiredMixin,
    request_role,
)
from prm.core.csv import csv_safe
from prm.core.errors import DomainError
from prm.core.money import format_amount, minor_unit, quantize

from . import periods
from .charts import payout_trend
from .forms import BankDetailsForm, PaymentsImportForm, RecomputeForm, SalesImportForm
from .models import (
    ImportBatch,
    PaymentBatch,
    RecomputeRequest,
    Sale,
    Statement,
    StatementLine,
)
from .rates import reporting_total
from .selectors import (
    ACKNOWLEDGED_CHOICES,
    SALE_FIELDS,
    import_list,
    sale_as_dict,
    statement_get,
    statement_line_find,
    statement_line_sale_ids,
    statement_line_sales,
    statement_list,
    statement_list_pages,
    statement_list_with_sums,
    statement_trend_list,
)
from .services.bank import (
    bank_details_current,
    bank_details_get,
    bank_details_history,
    bank_details_save,
    mask_account,
    masked,
)
from .services.imports import COLUMNS
from .services.payments import COLUMNS as PAYMENT_COLUMNS
from .services.payments import payments_import_enqueue
from .services.recompute import recompute_request_create
from .services.statements import (
    statement_acknowledge,
    statement_approve,
    statement_draft_predecessor,
    statement_mark_paid,
)
from .statement_pdf import partner_language, statement_filename, statement_pdf


def _period_param(request) -> str:
    value = request.GET.get("period", "").strip()
    try:
        periods.parse(value)
    except ValueError:
        return ""
    return value


class StatementListView(RoleRequiredMixin, TemplateView):
    """Statements by period; partners see theirs with a trend chart, vendors see every partner
    they may see."""

    allowed_roles = PAYOUT_ROLES
    template_name = "commissions/statement_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        period = _period_param(request)
        status = request.GET.get("status", "")
        acknowledged = request.GET.get("acknowledged", "")
        if acknowledged not in ACKNOWLEDGED_CHOICES:
            acknowledged = ""
        filters = {"period": period, "status": status, "acknowledged": acknowledged}
        partner_view = request_role(request) not in VENDOR_ROLES and request.partner is not None
        if partner_view:
            rows = statement_list_pages(
                user=request.user, current_partner=request.partner, **filters
            )
        else:
            context["recompute_form"] = RecomputeForm()
            # Statements of many partners in their own currencies: one total in the reporting
            # currency over every statement the filter selects (not only this page's).
            sums, rows = statement_list_with_sums(
                user=request.user, current_partner=request.partner, **filters
            )
            context["reporting_total"] = reporting_total(
                [(currency, amount) for currency, _start, amount, _count in sums],
                day=timezone.localdate(),
            )
        page = Paginator(rows, 25).get_page(request.GET.get("page"))
        context.update(
            page_obj=page,
            statements=page.object_list,
            period=period,
            status=status,
            acknowledged=acknowledged,
        )
        if partner_view:
            context["bank_partner"] = request.partner
            context["trend"] = payout_trend(
                statement_trend_list(user=request.user, current_partner=request.partner)
            )
        return context


class StatementDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = PAYOUT_ROLES
    template_name = "commissions/statement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = statement_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )
        role = request_role(self.request)
        bank = (
            statement.bank_details
            if statement.status != Statement.Status.DRAFT
            else bank_details_current(partner=statement.partner)
        )
        context.update(
            statement=statement,
            lines=list(statement.lines.all()),
            can_approve=role == Role.VENDOR_ADMIN,
            can_recompute=role in VENDOR_ROLES,
            can_acknowledge=role in ACKNOWLEDGE_ROLES,
            corrections=list(statement.corrections.select_related("statement")),
            bank=masked(bank),
            pdf_languages=settings.LANGUAGES if role in VENDOR_ROLES else (),
            carried_to=StatementLine.objects.filter(carried_from=statement)
            .select_related("statement")
            .first(),
            draft_predecessor=statement_draft_predecessor(statement=statement)
            if statement.status == Statement.Status.DRAFT
            else None,
            **_awaiting_payment(statement),
        )
        return context


ACKNOWLEDGE_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE})
BANK_EDIT_ROLES = frozenset({Role.VENDOR_ADMIN, Role.PARTNER_ADMIN})


class StatementPdfView(RoleRequiredMixin, View):
    """An approved or paid statement as a PDF. Partner users get it in the language they read
    the portal in; vendor staff choose with `?lang=` (default: the partner's users' language).
    A draft has no document (404)."""

    allowed_roles = PAYOUT_ROLES

    def get(self, request, pk):
        statement = statement_get(user=request.user, pk=pk, current_partner=request.partner)
        if statement.status == Statement.Status.DRAFT:
            raise Http404(_("A draft statement has no document yet."))
        if request_role(request) in VENDOR_ROLES:
            language = request.GET.get("lang", "")
            if language not in dict(settings.LANGUAGES):
                language = partner_language(statement.partner)
        else:
            language = translation.get_language() or settings.LANGUAGE_CODE
        content = statement_pdf(statement, language=language)
        response = HttpResponse(content, content_type="application/pdf")
        filename = statement_filename(statement, language=language)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class StatementAcknowledgeView(RoleRequiredMixin, View):
    """A partner admin or finance user confirms receipt of an approved statement."""

    allowed_roles = ACKNOWLEDGE_ROLES

    def post(self, request, pk):
        statement = statement_get(user=request.user, pk=pk, current_partner=request.partner)
        try:
            statement_acknowledge(statement=statement, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you: the statement is acknowledged."))
        return redirect("statement_detail", pk=pk)


AWAITING_SHOWN = 50


def _awaiting_payment(statement: Statement) -> dict:
    """Under a plan accruing on payment: the partner's sales invoiced by the end of the period
    and not yet paid in full (they count in the period in which they are), with what is paid."""
    from django.db.models import DecimalField, Sum, Value
    from django.db.models.functions import Coalesce

    from .services.compute import payment_partners, plan_segments

    if not payment_partners(plan_segments([statement.partner_id]), [statement.partner_id]):
        return {"on_payment": False}
    unpaid = Sale.objects.filter(
        partner_id=statement.partner_id,
        kind=Sale.Kind.SALE,
        invoice_date__lte=statement.period_end,
        net_amount__gt=0,
        paid__isnull=True,
    )
    sales = list(
        unpaid.select_related("product")
        .annotate(
            paid_amount=Coalesce(Sum("payments__amount"), Value(0), output_field=DecimalField())
        )
        .order_by("invoice_date", "external_id")[:AWAITING_SHOWN]
    )
    return {"on_payment": True, "awaiting": sales, "awaiting_count": unpaid.count()}


class StatementLineSalesView(RoleRequiredMixin, TemplateView):
    """The sales lines behind one statement line, or the unmatched ones (htmx fragment)."""

    allowed_roles = PAYOUT_ROLES
    template_name = "commissions/partials/_line_sales.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = statement_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )
        position = self.kwargs.get("position")
        line = None
        if position is not None:
            line = statement_line_find(statement=statement, position=position)
        ids = statement_line_sale_ids(statement=statement, line=line)
        page = Paginator(ids, 50).get_page(self.request.GET.get("page"))
        sales = (
            Sale.objects.filter(pk__in=list(page.object_list))
            .select_related("product", "original")
            .order_by("invoice_date", "id")
        )
        context.update(statement=statement, sales=sales, page_obj=page, position=position)
        return context


class StatementLineSalesExportView(RoleRequiredMixin, View):
    """Every sales line behind one statement line as CSV, with the invoice's currency, amount
    and rate of the lines converted from another currency."""

    allowed_roles = PAYOUT_ROLES

    def get(self, request, pk: int, position: int):
        statement = statement_get(user=request.user, pk=pk, current_partner=request.partner)
        line = statement_line_find(statement=statement, position=position)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = f"sales-{statement.partner.code}-{statement.period}-{position}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(SALE_FIELDS)
        for sale in statement_line_sales(statement=statement, line=line).iterator(2000):
            row = sale_as_dict(sale)
            writer.writerow(csv_safe("" if row[f] is None else row[f]) for f in SALE_FIELDS)
        return response


def _reauthentication_for_payouts(request) -> bool:
    return settings.PRM_REAUTHENTICATION_FOR_PAYOUTS


# Money moves on these two actions: the vendor admin confirms their password (or second factor)
# when the last sign-in or confirmation is older than ACCOUNT_REAUTHENTICATION_TIMEOUT; the
# action is then carried out as first submitted.
money_action = method_decorator(
    reauthentication_required(enabled=_reauthentication_for_payouts), name="post"
)


@money_action
class StatementApproveView(RoleRequiredMixin, View):
    allowed_roles = VENDOR_ADMIN_ROLES

    def post(self, request, pk):
        statement = statement_get(user=request.user, pk=pk)
        try:
            statement_approve(statement=statement, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The statement is approved and can no longer change."))
        return redirect("statement_detail", pk=pk)


@money_action
class StatementPayView(RoleRequiredMixin, View):
    allowed_roles = VENDOR_ADMIN_ROLES

    def post(self, request, pk):
        statement = statement_get(user=request.user, pk=pk)
        try:
            statement_mark_paid(
                statement=statement, actor=request.user, reference=request.POST.get("reference", "")
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The statement is marked paid."))
        return redirect("statement_detail", pk=pk)


class StatementRecomputeView(RoleRequiredMixin, View):
    """Recompute one draft statement's period for its partner, in a worker."""

    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        statement = statement_get(user=request.user, pk=pk)
        month = periods.month_of(periods.parse(statement.period).end)
        recompute = recompute_request_create(
            period=month, partner=statement.partner, reason="on demand"
        )
        return redirect("recompute_detail", pk=recompute.pk)


class RecomputeView(RoleRequiredMixin, View):
    """Recompute a whole month for every partner (vendor admins)."""

    allowed_roles = VENDOR_ADMIN_ROLES

    def post(self, request):
        form = RecomputeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the period as YYYY-MM."))
            return redirect("statement_list")
        partner = None
        if form.cleaned_data["partner"]:
            partner = partner_get(user=request.user, code=form.cleaned_data["partner"])
        recompute = recompute_request_create(
            period=form.cleaned_data["period"], partner=partner, reason="on demand"
        )
        return redirect("recompute_detail", pk=recompute.pk)


class RecomputeDetailView(RoleRequiredMixin, TemplateView):
    """Progress of a recompute; the page polls its own fragment until the work is done."""

    allowed_roles = VENDOR_ROLES
    template_name = "commissions/recompute_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#progress"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = get_object_or_404(
            RecomputeRequest.objects.select_related("partner"), pk=self.kwargs["pk"]
        )
        if request.partner is not None:
            partner_get(user=self.request.user, code=request.partner.code)
        context["recompute"] = request
        context["percent"] = (
            int(request.done_partners * 100 / request.total_partners)
            if request.total_partners
            else (100 if request.status == "done" else 0)
        )
        return context


class StatementExportView(RoleRequiredMixin, View):
    """Statements and their lines as CSV (Excel-friendly, formula-safe)."""

    allowed_roles = PAYOUT_ROLES

    def get(self, request):
        statements = statement_list(
            user=request.user, current_partner=request.partner, period=_period_param(request)
        ).prefetch_related("lines")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        # The columns of `export_statements --format csv`; new ones go at the end.
        writer.writerow(
            [
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
        )
        for statement in statements:
            for line in statement.lines.all():
                writer.writerow(
                    csv_safe(v)
                    for v in (
                        statement.partner.code,
                        statement.period,
                        statement.status,
                        statement.currency,
                        format_amount(statement.total, statement.currency),
                        line.position,
                        line.description,
                        format_amount(line.amount, statement.currency),
                        format_amount(statement.carried_forward, statement.currency),
                    )
                )
        return response


def _xlsx_row(sheet, values, money_format: str) -> list:
    """One worksheet row: text always stored as text (never read as a formula), amounts as
    numbers with the currency's places."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, Decimal):
            cell.number_format = money_format
        cells.append(cell)
    return cells


def _money_format(currency: str) -> str:
    places = minor_unit(currency)
    return "#,##0" + ("." + "0" * places if places else "")


class StatementExcelView(RoleRequiredMixin, View):
    """The statements of the CSV export as an Excel workbook: one sheet of statements, one of
    their lines. Text cells are stored as text, so a description never runs as a formula."""

    allowed_roles = PAYOUT_ROLES

    def get(self, request):
        statements = list(
            statement_list(
                user=request.user, current_partner=request.partner, period=_period_param(request)
            ).prefetch_related(
                Prefetch("lines", queryset=StatementLine.objects.order_by("position"))
            )
        )
        workbook = Workbook(write_only=True)
        summary = workbook.create_sheet(_("Statements"))
        summary.append(
            [
                "partner",
                "period",
                "status",
                "currency",
                "net_sales",
                "total",
                "approved_at",
                "acknowledged_at",
                "carried_forward",
            ]
        )
        lines = workbook.create_sheet(_("Lines"))
        lines.append(["partner", "period", "currency", "line", "kind", "description", "amount"])
        for statement in statements:
            money_format = _money_format(statement.currency)
            summary.append(
                _xlsx_row(
                    summary,
                    [
                        statement.partner.code,
                        statement.period,
                        statement.status,
                        statement.currency,
                        quantize(statement.net_sales, statement.currency),
                        quantize(statement.total, statement.currency),
                        _when(statement.approved_at),
                        _when(statement.acknowledged_at),
                        quantize(statement.carried_forward, statement.currency),
                    ],
                    money_format,
                )
            )
            for line in statement.lines.all():
                lines.append(
                    _xlsx_row(
                        lines,
                        [
                            statement.partner.code,
                            statement.period,
                            statement.currency,
                            line.position,
                            line.kind,
                            line.description,
                            quantize(line.amount, statement.currency),
                        ],
                        money_format,
                    )
                )
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="payouts.xlsx"'
        return response


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


class BankDetailsView(RoleRequiredMixin, TemplateView):
    """A partner's payout bank details (account number masked) and the history of changes.
    Vendor staff, the partner's admins and finance users read them; sales users do not."""

    allowed_roles = PAYOUT_ROLES
    template_name = "commissions/bank_details.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = partner_get(
            user=self.request.user, code=self.kwargs["code"], current_partner=self.request.partner
        )
        details = bank_details_get(partner=partner)
        history = list(bank_details_history(partner=partner)[:50])
        for change in history:
            change.before_masked = masked(change.before)
            change.after_masked = masked(change.after)
        context.update(
            partner=partner,
            details=details,
            masked_account=mask_account(details.account_number) if details else "",
            history=history,
            can_edit=request_role(self.request) in BANK_EDIT_ROLES,
        )
        return context


def _bank_reauthentication(request):
    """None when the user has confirmed their identity recently enough to change bank details,
    else the redirect to the confirmation they still owe: the password, then (vendor staff with
    an authenticator app) the TOTP code. Each comes back to the edit page."""
    if not settings.PRM_REAUTHENTICATION_FOR_PAYOUTS:
        return None
    missing = reauthentication_missing(request)
    if missing is None:
        return None
    target = reverse("account_reauthenticate" if missing == "password" else "mfa_reauthenticate")
    return redirect(f"{target}?{urlencode({'next': request.path})}")


class BankDetailsEditView(RoleRequiredMixin, TemplateView):
    """Change a partner's payout bank details: partner admins (their own partner) and vendor
    admins, after confirming their password (and TOTP code, for vendor staff who have one)."""

    allowed_roles = BANK_EDIT_ROLES
    template_name = "commissions/bank_details_form.html"

    def _partner(self):
        return partner_get(
            user=self.request.user, code=self.kwargs["code"], current_partner=self.request.partner
        )

    def get(self, request, *args, **kwargs):
        partner = self._partner()
        confirm = _bank_reauthentication(request)
        if confirm is not None:
            return confirm
        details = bank_details_get(partner=partner)
        initial = details.as_dict() if details else {"currency": partner.currency}
        return self.render_to_response(
            self.get_context_data(partner=partner, form=BankDetailsForm(initial=initial))
        )

    def post(self, request, *args, **kwargs):
        partner = self._partner()
        confirm = _bank_reauthentication(request)
        if confirm is not None:
            messages.warning(
                request, _("Confirm who you are again; then save the bank details once more.")
            )
            return confirm
        form = BankDetailsForm(request.POST)
        if form.is_valid():
            try:
                bank_details_save(partner=partner, actor=request.user, data=form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field, exc.message)
            else:
                messages.success(request, _("The bank details are saved."))
                return redirect("bank_details", code=partner.code)
        return self.render_to_response(self.get_context_data(partner=partner, form=form))


class SalesImportListView(RoleRequiredMixin, TemplateView):
    """Upload a sales CSV; the import runs in a worker and its page shows the progress."""

    allowed_roles = VENDOR_ROLES
    template_name = "commissions/import_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(import_list(), 20).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, imports=page.object_list, columns=COLUMNS)
        context.setdefault("form", SalesImportForm())
        return context

    def post(self, request):
        form = SalesImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        from .services.imports import sales_import_enqueue

        batch = sales_import_enqueue(
            upload=form.cleaned_data["file"], actor=request.user, storage=default_storage
        )
        return redirect("sales_import_detail", pk=batch.pk)


class SalesImportDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = VENDOR_ROLES
    template_name = "commissions/import_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#progress"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = get_object_or_404(ImportBatch, pk=self.kwargs["pk"])
        page = Paginator(batch.rejections.all(), 100).get_page(self.request.GET.get("page"))
        context.update(
            batch=batch,
            rejections=page.object_list,
            page_obj=page,
            percent=int(batch.processed_rows * 100 / batch.total_rows)
            if batch.total_rows
            else (100 if batch.status == "done" else 0),
        )
        return context


class RejectedRowsExportView(RoleRequiredMixin, View):
    allowed_roles = VENDOR_ROLES

    def get(self, request, pk):
        batch = get_object_or_404(ImportBatch, pk=pk)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="rejected-rows-{batch.pk}.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["row", "column", "reason"])
        for rejection in batch.rejections.all():
            writer.writerow(
                [rejection.row_number, csv_safe(rejection.column), csv_safe(rejection.reason)]
            )
        return response


class PaymentImportListView(RoleRequiredMixin, TemplateView):
    """Upload a payments CSV; the import runs in a worker and its page shows the progress."""

    allowed_roles = VENDOR_ROLES
    template_name = "commissions/payment_import_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batches = PaymentBatch.objects.order_by("-created_at")
        page = Paginator(batches, 20).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, imports=page.object_list, columns=PAYMENT_COLUMNS)
        context.setdefault("form", PaymentsImportForm())
        return context

    def post(self, request):
        form = PaymentsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        batch = payments_import_enqueue(
            upload=form.cleaned_data["file"], actor=request.user, storage=default_storage
        )
        return redirect("payment_import_detail", pk=batch.pk)


class PaymentImportDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = VENDOR_ROLES
    template_name = "commissions/payment_import_detail.html"

    def get_template_names(self):
        if self.request.htmx:
            return [f"{self.template_name}#progress"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = get_object_or_404(PaymentBatch, pk=self.kwargs["pk"])
        page = Paginator(batch.rejections, 100).get_page(self.request.GET.get("page"))
        context.update(
            batch=batch,
            rejections=page.object_list,
            page_obj=page,
            percent=100
            if batch.status in ("done", "failed")
            else (int(batch.processed_rows * 100 / batch.total_rows) if batch.total_rows else 0),
        )
        return context
