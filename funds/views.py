"""Market development fund pages: the funds with their balances, requests and claims, the
vendor's queue and decisions, proof files, and the spend report."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Prefetch, Q, Sum
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from commissions.rates import RateBook, ReportingTotal, reporting_total
from prm.core.access import (
    FUND_REQUEST_ROLES,
    FUND_ROLES,
    VENDOR_ROLES,
    RoleRequiredMixin,
    is_vendor,
)
from prm.core.csv import csv_safe
from prm.core.errors import DomainError
from prm.core.money import format_amount, minor_unit

from .forms import ClaimDecisionForm, ClaimForm, FundRequestForm, RequestDecisionForm
from .models import FundClaim, FundClaimFile, FundRequest
from .selectors import (
    budget_list,
    budgets_with_balance,
    claim_file_get,
    claim_get,
    claim_list,
    request_get,
    request_list,
)
from .services import (
    fund_claim_decide,
    fund_claim_submit,
    fund_request_cancel,
    fund_request_create,
    fund_request_decide,
)

LIST_LIMIT = 50
R = FundRequest.Status
C = FundClaim.Status


def _balances(budget_ids) -> dict:
    """The balance of each budget named, in one query."""
    rows = budgets_with_balance().filter(pk__in=set(budget_ids))
    return {b.pk: b for b in rows}


class FundListView(RoleRequiredMixin, TemplateView):
    """Partner users: their funds with balances, their requests and claims. Vendor staff: the
    queue of requests and claims awaiting them, each beside its fund's balance, and the funds."""

    allowed_roles = FUND_ROLES
    template_name = "funds/fund_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, partner = self.request.user, self.request.partner
        requests = request_list(user=user, current_partner=partner)
        claims = claim_list(user=user, current_partner=partner)
        vendor = is_vendor(self.request)
        if vendor:
            queue = list(requests.filter(status=R.PENDING).order_by("created_at")[:LIST_LIMIT])
            claim_queue = list(
                claims.filter(status=C.SUBMITTED).order_by("created_at")[:LIST_LIMIT]
            )
            balances = _balances(
                [r.budget_id for r in queue] + [c.request.budget_id for c in claim_queue]
            )
            for row in queue:
                row.balance = balances[row.budget_id]
            for row in claim_queue:
                row.balance = balances[row.request.budget_id]
            context.update(queue=queue, claim_queue=claim_queue)
        else:
            context.update(
                requests=list(requests[:LIST_LIMIT]),
                claims=list(claims[:LIST_LIMIT]),
            )
        context.update(
            is_vendor=vendor,
            budgets=list(budget_list(user=user, current_partner=partner)[:LIST_LIMIT]),
        )
        return context


class FundRequestCreateView(RoleRequiredMixin, FormView):
    allowed_roles = FUND_REQUEST_ROLES
    template_name = "funds/request_form.html"
    form_class = FundRequestForm

    def get_initial(self):
        initial = super().get_initial()
        budget = self.request.GET.get("budget", "")
        if budget.isascii() and budget.isdigit():
            initial["budget"] = int(budget)
        return initial

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["budgets"] = budget_list(
            user=self.request.user, current_partner=self.request.partner
        )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["budgets"] = list(context["form"].fields["budget"].queryset)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            made = fund_request_create(
                actor=self.request.user,
                budget=data["budget"],
                kind=data["kind"],
                description=data["description"],
                start=data["start"],
                end=data["end"],
                planned_cost=data["planned_cost"],
                amount=data["amount"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(number)s was sent to the vendor for a decision.") % {"number": made.number},
        )
        return redirect("fund_request_detail", pk=made.pk)


class FundRequestDetailView(RoleRequiredMixin, TemplateView):
    allowed_roles = FUND_ROLES
    template_name = "funds/request_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        req = request_get(
            user=self.request.user, current_partner=self.request.partner, pk=self.kwargs["pk"]
        )
        claims = list(
            req.claims.select_related("submitted_by", "decided_by", "adjustment__statement")
            .prefetch_related(Prefetch("files", queryset=FundClaimFile.objects.order_by("id")))
            .order_by("-created_at", "-id")
        )
        vendor = is_vendor(self.request)
        membership = getattr(self.request, "membership", None)
        may_request = (
            not vendor and membership is not None and membership.role in ("admin", "sales")
        )
        open_claim = any(c.status == C.SUBMITTED for c in claims)
        context.update(
            req=req,
            balance=_balances([req.budget_id])[req.budget_id],
            claims=claims,
            is_vendor=vendor,
            can_decide=vendor and req.status == R.PENDING,
            can_claim=may_request and req.status == R.APPROVED and not open_claim,
            can_cancel=may_request and req.status in (R.PENDING, R.APPROVED) and not open_claim,
            decision_form=RequestDecisionForm(
                initial={"amount": req.amount}, auto_id="decision_%s"
            ),
            claim_decision_form=ClaimDecisionForm(auto_id="claim_decision_%s"),
        )
        return context


class _ActionView(RoleRequiredMixin, View):
    http_method_names = ["post"]

    def back(self, pk):
        return redirect("fund_request_detail", pk=pk)

    def form_errors(self, form) -> None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(self.request, f"{label}: {error}" if label else error)


class FundRequestDecideView(_ActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        req = request_get(user=request.user, current_partner=request.partner, pk=pk)
        form = RequestDecisionForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back(pk)
        data = form.cleaned_data
        try:
            req = fund_request_decide(
                actor=request.user,
                request=req,
                decision=data["decision"],
                amount=data.get("amount"),
                reason=data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("%(number)s: %(status)s.")
                % {"number": req.number, "status": req.get_status_display()},
            )
        return self.back(pk)


class FundRequestCancelView(_ActionView):
    allowed_roles = FUND_REQUEST_ROLES

    def post(self, request, pk):
        req = request_get(user=request.user, current_partner=request.partner, pk=pk)
        try:
            fund_request_cancel(actor=request.user, request=req)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(number)s was cancelled.") % {"number": req.number})
        return self.back(pk)


class FundClaimCreateView(RoleRequiredMixin, FormView):
    """Claim an approved request: the actual cost and the proof-of-performance files."""

    allowed_roles = FUND_REQUEST_ROLES
    template_name = "funds/claim_form.html"
    form_class = ClaimForm

    def dispatch(self, request, *args, **kwargs):
        self.req = None
        return super().dispatch(request, *args, **kwargs)

    def get_request(self):
        if self.req is None:
            self.req = request_get(
                user=self.request.user, current_partner=self.request.partner, pk=self.kwargs["pk"]
            )
        return self.req

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        req = self.get_request()
        context.update(req=req, returned=req.claims.filter(status=C.RETURNED).first())
        return context

    def form_valid(self, form):
        req = self.get_request()
        try:
            claim = fund_claim_submit(
                actor=self.request.user,
                request=req,
                actual_cost=form.cleaned_data["actual_cost"],
                files=form.cleaned_data["files"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Your claim of %(amount)s %(currency)s was sent for review.")
            % {
                "amount": format_amount(claim.reimbursement, req.budget.currency),
                "currency": req.budget.currency,
            },
        )
        return redirect("fund_request_detail", pk=req.pk)


class FundClaimDecideView(_ActionView):
    allowed_roles = VENDOR_ROLES

    def post(self, request, pk):
        claim = claim_get(user=request.user, current_partner=request.partner, pk=pk)
        form = ClaimDecisionForm(request.POST)
        if not form.is_valid():
            self.form_errors(form)
            return self.back(claim.request_id)
        try:
            claim = fund_claim_decide(
                actor=request.user,
                claim=claim,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The claim for %(number)s: %(status)s.")
                % {"number": claim.request.number, "status": claim.get_status_display()},
            )
        return self.back(claim.request_id)


class FundClaimFileView(RoleRequiredMixin, View):
    """A proof file, to those who may see its request, always as a download."""

    allowed_roles = FUND_ROLES

    def get(self, request, pk, file_pk):
        found = claim_file_get(
            user=request.user, current_partner=request.partner, claim_pk=pk, pk=file_pk
        )
        response = FileResponse(
            found.file.open("rb"),
            as_attachment=True,
            filename=found.name,
            content_type="application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


REPORT_COLUMNS = [
    "fund",
    "partner",
    "tier",
    "currency",
    "budget",
    "pending",
    "committed",
    "reimbursed",
    "available",
]


KIND_COLUMNS = ["kind", "currency", "requests", "requested", "approved", "reimbursed"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


class FundReportView(RoleRequiredMixin, TemplateView):
    """Spend against budget by fund, partner and tier, and requests by activity kind, for the
    partners the user may see; `?format=csv` downloads the budget rows, `?format=xlsx` a workbook
    with the budget rows and the requests by activity kind."""

    allowed_roles = VENDOR_ROLES
    template_name = "funds/report.html"

    def rows(self):
        budgets = budget_list(user=self.request.user).select_related("partner__tier")
        fund = self.request.GET.get("fund", "")[:32]
        if fund:
            budgets = budgets.filter(fund__code=fund)
        return budgets.order_by("fund__code", "partner__code"), fund

    def by_kind(self, fund: str) -> list[dict]:
        rows = (
            request_list(user=self.request.user)
            .filter(Q(budget__fund__code=fund) if fund else Q())
            .values("kind", "budget__currency")
            .annotate(
                count=Count("pk"),
                requested=Sum("amount"),
                approved=Sum("approved_amount", filter=Q(status__in=[R.APPROVED, R.SETTLED])),
                reimbursed=Sum("reimbursed"),
            )
            .order_by("kind", "budget__currency")
        )
        kinds = dict(FundRequest.Kind.choices)
        return [{**k, "label": kinds.get(k["kind"], k["kind"])} for k in rows]

    def get(self, request, *args, **kwargs):
        wanted = request.GET.get("format")
        if wanted == "xlsx":
            return self.xlsx()
        if wanted != "csv":
            return super().get(request, *args, **kwargs)
        budgets, _fund = self.rows()
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="funds.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(REPORT_COLUMNS)
        for b in budgets.iterator(chunk_size=2000):
            writer.writerow(
                csv_safe(v)
                for v in (
                    b.fund.code,
                    b.partner.code,
                    b.partner.tier.code if b.partner.tier_id else "",
                    b.currency,
                    *(
                        format_amount(x, b.currency)
                        for x in (b.amount, b.pending, b.committed, b.reimbursed, b.available)
                    ),
                )
            )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        budgets, fund = self.rows()
        rows = list(budgets[:500])
        for row in rows:
            used = row.committed + row.reimbursed
            row.spent_percent = int(used * 100 / row.amount) if row.amount else 0
        context.update(
            rows=rows, fund=fund, by_kind=self.by_kind(fund), totals=self.totals(budgets)
        )
        return context

    def totals(self, budgets) -> list[tuple[str, ReportingTotal]]:
        """Budget, committed, reimbursed and available over every partner's budget in the
        reporting currency (two queries: the sums by currency, the rates)."""
        measures = ("amount", "committed", "reimbursed", "available")
        # The balances are aggregates of each budget's requests: summed here, not in SQL.
        rows = list(budgets.order_by().values_list("currency", *measures))
        book = RateBook(to_currency=settings.PRM_REPORTING_CURRENCY)
        today = timezone.localdate()
        labels = (_("Budget"), _("Committed"), _("Reimbursed"), _("Available"))
        return [
            (
                label,
                reporting_total([(row[0], row[i]) for row in rows], day=today, book=book),
            )
            for i, label in enumerate(labels, start=1)
        ]

    def xlsx(self) -> HttpResponse:
        """The report as a workbook: a sheet of budget rows (the CSV's columns, amounts as
        numbers) and a sheet of requests by activity kind."""
        budgets, fund = self.rows()
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Budgets")[:31])
        sheet.append(_xlsx_row(sheet, REPORT_COLUMNS, ""))
        for b in budgets.iterator(chunk_size=2000):
            sheet.append(
                _xlsx_row(
                    sheet,
                    (
                        b.fund.code,
                        b.partner.code,
                        b.partner.tier.code if b.partner.tier_id else "",
                        b.currency,
                        b.amount,
                        b.pending,
                        b.committed,
                        b.reimbursed,
                        b.available,
                    ),
                    _money_format(b.currency),
                )
            )
        kinds = book.create_sheet(_("By activity kind")[:31])
        kinds.append(_xlsx_row(kinds, KIND_COLUMNS, ""))
        for k in self.by_kind(fund):
            kinds.append(
                _xlsx_row(
                    kinds,
                    (
                        str(k["label"]),
                        k["budget__currency"],
                        k["count"],
                        k["requested"] or Decimal(0),
                        k["approved"] or Decimal(0),
                        k["reimbursed"] or Decimal(0),
                    ),
                    _money_format(k["budget__currency"]),
                )
            )
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
        response["Content-Disposition"] = 'attachment; filename="funds.xlsx"'
        return response
