import csv

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from partners.selectors import partner_get
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
from prm.core.money import format_amount

from . import periods
from .charts import payout_trend
from .forms import PaymentsImportForm, RecomputeForm, SalesImportForm
from .models import ImportBatch, PaymentBatch, RecomputeRequest, Sale, Statement, StatementLine
from .selectors import import_list, statement_get, statement_line_sale_ids, statement_list
from .services.imports import COLUMNS
from .services.payments import COLUMNS as PAYMENT_COLUMNS
from .services.payments import payments_import_enqueue
from .services.recompute import recompute_request_create
from .services.statements import (
    statement_approve,
    statement_draft_predecessor,
    statement_mark_paid,
)


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
        statements = statement_list(
            user=request.user, current_partner=request.partner, period=period
        )
        if status in ("draft", "approved", "paid"):
            statements = statements.filter(status=status)
        page = Paginator(statements, 25).get_page(request.GET.get("page"))
        context.update(page_obj=page, statements=page.object_list, period=period, status=status)
        if request_role(request) not in VENDOR_ROLES and request.partner is not None:
            context["trend"] = payout_trend(
                list(statement_list(user=request.user, current_partner=request.partner)[:12])
            )
        else:
            context["recompute_form"] = RecomputeForm()
        return context


class StatementDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = PAYOUT_ROLES
    template_name = "commissions/statement_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = statement_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )
        context.update(
            statement=statement,
            lines=list(statement.lines.all()),
            can_approve=request_role(self.request) == Role.VENDOR_ADMIN,
            can_recompute=request_role(self.request) in VENDOR_ROLES,
            corrections=list(statement.corrections.select_related("statement")),
            carried_to=StatementLine.objects.filter(carried_from=statement)
            .select_related("statement")
            .first(),
            draft_predecessor=statement_draft_predecessor(statement=statement)
            if statement.status == Statement.Status.DRAFT
            else None,
            **_awaiting_payment(statement),
        )
        return context


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
            line = next((x for x in statement.lines.all() if x.position == position), None)
            if line is None or not _has_sales(line):
                raise Http404
        ids = statement_line_sale_ids(statement=statement, line=line)
        page = Paginator(ids, 50).get_page(self.request.GET.get("page"))
        sales = (
            Sale.objects.filter(pk__in=list(page.object_list))
            .select_related("product", "original")
            .order_by("invoice_date", "id")
        )
        context.update(statement=statement, sales=sales, page_obj=page, position=position)
        return context


def _has_sales(line: StatementLine) -> bool:
    """Rule lines and the restatements of a rule list sales; cap and adjustment lines none."""
    return line.kind == StatementLine.Kind.RULE or (
        line.kind == StatementLine.Kind.RESTATEMENT and line.rule_id is not None
    )


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
        writer.writerow(
            ["partner", "period", "status", "currency", "total", "line", "description", "amount"]
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
                    )
                )
        return response


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
            percent=100 if batch.status in ("done", "failed") else 0,
        )
        return context
