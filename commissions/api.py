from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from partners.selectors import partner_get
from prm.core.access import PAYOUT_ROLES, VENDOR_ADMIN_ROLES, VENDOR_ROLES, Role
from prm.core.api import BaseAPIView
from prm.core.errors import DomainError

from . import periods
from .forms import PaymentsImportForm, SalesImportForm
from .models import Statement
from .selectors import (
    sale_as_dict,
    statement_as_dict,
    statement_get,
    statement_line_find,
    statement_line_sales,
    statement_list,
)
from .services.imports import sales_import
from .services.payments import payments_import
from .services.recompute import recompute_request_create
from .services.statements import statement_acknowledge, statement_approve


class StatementLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    amount = serializers.CharField()


class StatementSerializer(serializers.Serializer):
    partner = serializers.CharField()
    period = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.CharField()
    carried_forward = serializers.CharField(
        help_text="The negative total carried to the partner's next statement; 0 when none."
    )
    lines = StatementLineSerializer(many=True)
    id = serializers.IntegerField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)


class StatementListAPIView(BaseAPIView):
    """Payout statements the caller may see, for a month (and quarters containing it)."""

    allowed_roles = PAYOUT_ROLES

    @extend_schema(
        parameters=[OpenApiParameter("period", str, description="YYYY-MM", required=True)],
        responses=StatementSerializer(many=True),
    )
    def get(self, request):
        period = request.query_params.get("period", "")
        try:
            periods.month(period)
        except ValueError as exc:
            raise ValidationError({"period": ["Give the month as YYYY-MM."]}) from exc
        statements = statement_list(
            user=request.user, current_partner=request.partner, period=period
        ).prefetch_related("lines")
        return Response([_statement_item(s) for s in statements])


def _statement_item(statement) -> dict:
    """The contract's fields, then the id (to acknowledge it) and when the partner acknowledged
    it (null until then)."""
    return {
        **statement_as_dict(statement),
        "id": statement.pk,
        "acknowledged_at": (
            serializers.DateTimeField().to_representation(statement.acknowledged_at)
            if statement.acknowledged_at
            else None
        ),
    }


class StatementAcknowledgeAPIView(BaseAPIView):
    """A partner admin or finance user acknowledges an approved (or paid) statement of their
    partner; acknowledging again keeps the first acknowledgement. A draft answers 400; another
    partner's statement 404."""

    allowed_roles = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_FINANCE})

    @extend_schema(request=None, responses=StatementSerializer)
    def post(self, request, pk):
        statement = statement_get(user=request.user, pk=pk, current_partner=request.partner)
        try:
            statement = statement_acknowledge(statement=statement, actor=request.user)
        except DomainError as exc:
            raise ValidationError({"status": [exc.message]}) from exc
        return Response(_statement_item(statement))


class SaleSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    invoice_date = serializers.DateField()
    sku = serializers.CharField()
    customer_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["sale", "return"])
    original_external_id = serializers.CharField(allow_null=True)
    quantity = serializers.CharField()
    net_amount = serializers.CharField(help_text="In the partner's (the statement's) currency.")
    currency = serializers.CharField()
    original_amount = serializers.CharField(
        allow_null=True, help_text="As invoiced, when invoiced in another currency."
    )
    original_currency = serializers.CharField(allow_null=True)
    exchange_rate = serializers.CharField(allow_null=True)
    rate_date = serializers.DateField(allow_null=True)


class StatementLineSalesAPIView(BaseAPIView):
    """The sales lines behind one line of a statement the caller may see, each in the
    statement's currency and, when invoiced in another, with its original currency, amount and
    rate."""

    allowed_roles = PAYOUT_ROLES

    @extend_schema(
        responses=SaleSerializer(many=True),
        parameters=[
            # The path converters take digits only: a negative number is no URL of the API.
            OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH),
            OpenApiParameter("position", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH),
        ],
    )
    def get(self, request, pk: int, position: int):
        statement = statement_get(user=request.user, pk=pk, current_partner=request.partner)
        line = statement_line_find(statement=statement, position=position)
        sales = statement_line_sales(statement=statement, line=line)
        return Response([sale_as_dict(sale) for sale in sales.iterator(2000)])


class StatementApproveAPIView(BaseAPIView):
    """Approve a draft statement named by partner code and period (vendor admins). Refused, with
    the reason, when it is not a draft or when the partner's previous statement is still a draft
    under a plan that carries negative totals forward."""

    allowed_roles = VENDOR_ADMIN_ROLES

    @extend_schema(
        request=inline_serializer(
            "StatementApproveInput",
            {"partner": serializers.CharField(), "period": serializers.CharField()},
        ),
        responses={200: StatementSerializer},
    )
    def post(self, request):
        code = str(request.data.get("partner", "") or "")
        period = str(request.data.get("period", "") or "")
        try:
            periods.parse(period)
        except ValueError as exc:
            raise ValidationError({"period": ["Give the period as YYYY-MM or YYYY-Qn."]}) from exc
        partner = partner_get(user=request.user, code=code) if code else None
        if partner is None:
            raise ValidationError({"partner": ["Give the partner's code."]})
        statement = Statement.objects.filter(partner=partner, period=period).first()
        if statement is None:
            raise ValidationError({"period": [f"{partner.code} has no statement for {period}."]})
        try:
            statement = statement_approve(statement=statement, actor=request.user)
        except DomainError as exc:
            raise ValidationError({exc.field or "statement": [exc.message]}) from exc
        statement = Statement.objects.select_related("partner").get(pk=statement.pk)
        return Response(statement_as_dict(statement))


class RejectedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    reason = serializers.CharField()


class SalesImportResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["done", "failed"])
    error = serializers.CharField(allow_blank=True)
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_rows = RejectedRowSerializer(many=True)


class SalesImportAPIView(BaseAPIView):
    """Import a sales CSV (multipart field `file`); answers the counts and the rejected rows.

    Rows for a partner the caller may not see are rejected as unknown partners."""

    allowed_roles = VENDOR_ROLES
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=inline_serializer("SalesImportUpload", {"file": serializers.FileField()}),
        responses={201: SalesImportResultSerializer},
    )
    def post(self, request):
        form = SalesImportForm(files=request.FILES)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        upload = form.cleaned_data["file"]
        # No transaction around it: the import keeps its own, and a failed import is recorded
        # as failed rather than rolled back with the request.
        result = sales_import(file=upload, filename=upload.name, actor=request.user)
        data = {
            "id": result.batch.pk,
            "status": result.batch.status,
            "error": result.batch.error,
            "created": result.created,
            "duplicate": result.duplicates,
            "rejected": len(result.rejected),
            "rejected_rows": [
                {"row": r.row, "column": r.column, "reason": r.reason} for r in result.rejected
            ],
        }
        return Response(data, status=status.HTTP_201_CREATED)


class PaymentsImportAPIView(BaseAPIView):
    """Import a payments CSV (multipart field `file`: external_id, paid_date, amount); answers
    the counts and the rejected rows. Payments of sales the caller may not see are rejected as
    unknown sales."""

    allowed_roles = VENDOR_ROLES
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=inline_serializer("PaymentsImportUpload", {"file": serializers.FileField()}),
        responses={201: SalesImportResultSerializer},
    )
    def post(self, request):
        form = PaymentsImportForm(files=request.FILES)
        if not form.is_valid():
            raise ValidationError({k: [str(e) for e in v] for k, v in form.errors.items()})
        upload = form.cleaned_data["file"]
        result = payments_import(file=upload, filename=upload.name, actor=request.user)
        data = {
            "id": result.batch.pk,
            "status": result.batch.status,
            "error": result.batch.error,
            "created": result.created,
            "duplicate": result.duplicates,
            "rejected": len(result.rejected),
            "rejected_rows": [
                {"row": r.row, "column": r.column, "reason": r.reason} for r in result.rejected
            ],
        }
        return Response(data, status=status.HTTP_201_CREATED)


class RecomputeAPIView(BaseAPIView):
    """Ask for a recompute of a month (vendor staff; channel managers name their partner)."""

    allowed_roles = VENDOR_ROLES

    @extend_schema(
        request=inline_serializer(
            "RecomputeRequestInput",
            {"period": serializers.CharField(), "partner": serializers.CharField(required=False)},
        ),
        responses={202: inline_serializer("RecomputeAccepted", {"id": serializers.IntegerField()})},
    )
    def post(self, request):
        period = str(request.data.get("period", ""))
        try:
            periods.month(period)
        except ValueError as exc:
            raise ValidationError({"period": ["Give the month as YYYY-MM."]}) from exc
        code = str(request.data.get("partner", "") or "")
        partner = partner_get(user=request.user, code=code) if code else None
        if partner is None and request.user.vendor_role != "admin":
            raise ValidationError({"partner": ["Channel managers name the partner."]})
        with transaction.atomic():
            recompute = recompute_request_create(period=period, partner=partner, reason="API")
        return Response({"id": recompute.pk}, status=status.HTTP_202_ACCEPTED)
