"""`/api/v1/mdf/`: the caller's funds with their balances, requests, decisions and claims
(spec "funds"). A broken rule answers 400 naming the field and the rule; another partner's
request or claim answers 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from prm.core.access import FUND_REQUEST_ROLES, FUND_ROLES, VENDOR_ROLES
from prm.core.api import BaseAPIView, PartnerContextMixin
from prm.core.errors import DomainError
from prm.core.money import format_amount

from .models import FundBudget, FundClaim, FundRequest
from .selectors import budget_list, claim_get, request_get
from .services import fund_claim_decide, fund_claim_submit, fund_request_create, fund_request_decide

# The URL routes only positive ids: the schema says so, so that clients never build another.
ID = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


def _domain(exc: DomainError) -> ValidationError:
    return ValidationError({exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]})


class FundSerializer(serializers.Serializer):
    code = serializers.CharField(source="fund.code")
    partner = serializers.CharField(source="partner.code")
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()
    committed = serializers.SerializerMethodField()
    reimbursed = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()

    def _money(self, budget, name) -> str:
        return format_amount(getattr(budget, name), budget.currency)

    def get_amount(self, budget) -> str:
        return self._money(budget, "amount")

    def get_pending(self, budget) -> str:
        return self._money(budget, "pending")

    def get_committed(self, budget) -> str:
        return self._money(budget, "committed")

    def get_reimbursed(self, budget) -> str:
        return self._money(budget, "reimbursed")

    def get_available(self, budget) -> str:
        return self._money(budget, "available")


class FundListAPIView(PartnerContextMixin, generics.ListAPIView):
    """Every fund the caller may see, one row per partner's budget, with its balance."""

    allowed_roles = FUND_ROLES
    serializer_class = FundSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FundBudget.objects.none()
        return budget_list(user=self.request.user, current_partner=self.request.partner)


class FundRequestSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    fund = serializers.CharField(max_length=32, write_only=True)
    fund_code = serializers.CharField(source="budget.fund.code", read_only=True)
    partner = serializers.CharField(source="budget.partner.code", read_only=True)
    currency = serializers.CharField(source="budget.currency", read_only=True)
    planned_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(source="decision_reason", read_only=True)

    class Meta:
        model = FundRequest
        fields = [
            "id",
            "number",
            "fund",
            "fund_code",
            "partner",
            "currency",
            "kind",
            "description",
            "start",
            "end",
            "planned_cost",
            "amount",
            "status",
            "approved_amount",
            "reimbursed",
            "reason",
            "deadline",
            "created_at",
            "decided_at",
        ]
        read_only_fields = [
            "status",
            "approved_amount",
            "reimbursed",
            "deadline",
            "created_at",
            "decided_at",
        ]
        extra_kwargs = {"description": {"max_length": 2000}}


class FundRequestCreateAPIView(BaseAPIView):
    """A partner admin or sales user requests money from one of its funds (by fund code)."""

    allowed_roles = FUND_REQUEST_ROLES

    @extend_schema(request=FundRequestSerializer, responses={201: FundRequestSerializer})
    def post(self, request):
        serializer = FundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        budget = (
            budget_list(user=request.user, current_partner=request.partner)
            .filter(fund__code=data["fund"], partner=request.partner)
            .first()
        )
        if budget is None:
            raise ValidationError({"fund": [_("Unknown fund.")]})
        try:
            made = fund_request_create(
                actor=request.user,
                budget=budget,
                kind=data["kind"],
                description=data["description"],
                start=data["start"],
                end=data["end"],
                planned_cost=data["planned_cost"],
                amount=data["amount"],
            )
        except DomainError as exc:
            raise _domain(exc) from exc
        return Response(FundRequestSerializer(made).data, status=status.HTTP_201_CREATED)


class RequestDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class FundRequestDecisionAPIView(BaseAPIView):
    """Vendor staff approve an amount up to the requested one, or reject with a reason."""

    allowed_roles = VENDOR_ROLES

    @extend_schema(
        request=RequestDecisionSerializer, responses={200: FundRequestSerializer}, parameters=[ID]
    )
    def post(self, request, pk):
        req = request_get(user=request.user, current_partner=request.partner, pk=pk)
        serializer = RequestDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            req = fund_request_decide(
                actor=request.user,
                request=req,
                decision=data["decision"],
                amount=data.get("amount"),
                reason=data.get("reason", ""),
            )
        except DomainError as exc:
            raise _domain(exc) from exc
        return Response(FundRequestSerializer(req).data)


class FundClaimSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", read_only=True)
    currency = serializers.CharField(source="request.budget.currency", read_only=True)
    reason = serializers.CharField(source="decision_reason", read_only=True)
    files = serializers.SerializerMethodField()

    class Meta:
        model = FundClaim
        fields = [
            "id",
            "request",
            "currency",
            "actual_cost",
            "reimbursement",
            "status",
            "reason",
            "files",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_files(self, claim) -> list[str]:
        return [f.name for f in claim.files.all()]


class ClaimUploadSerializer(serializers.Serializer):
    actual_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    files = serializers.ListField(child=serializers.FileField(), required=False)


class FundClaimCreateAPIView(BaseAPIView):
    """Claim an approved request: multipart `actual_cost` and one or more `files`."""

    allowed_roles = FUND_REQUEST_ROLES
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=ClaimUploadSerializer, responses={201: FundClaimSerializer}, parameters=[ID]
    )
    def post(self, request, pk):
        req = request_get(user=request.user, current_partner=request.partner, pk=pk)
        serializer = ClaimUploadSerializer(
            data={
                "actual_cost": request.data.get("actual_cost"),
                "files": request.FILES.getlist("files"),
            }
        )
        serializer.is_valid(raise_exception=True)
        try:
            claim = fund_claim_submit(
                actor=request.user,
                request=req,
                actual_cost=serializer.validated_data["actual_cost"],
                files=serializer.validated_data.get("files", []),
            )
        except DomainError as exc:
            raise _domain(exc) from exc
        return Response(FundClaimSerializer(claim).data, status=status.HTTP_201_CREATED)


class ClaimDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "return"])
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class FundClaimDecisionAPIView(BaseAPIView):
    """Vendor staff approve a claim (an adjustment on the next draft statement) or return it."""

    allowed_roles = VENDOR_ROLES

    @extend_schema(
        request=ClaimDecisionSerializer, responses={200: FundClaimSerializer}, parameters=[ID]
    )
    def post(self, request, pk):
        claim = claim_get(user=request.user, current_partner=request.partner, pk=pk)
        serializer = ClaimDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            claim = fund_claim_decide(
                actor=request.user,
                claim=claim,
                decision=data["decision"],
                reason=data.get("reason", ""),
            )
        except DomainError as exc:
            raise _domain(exc) from exc
        return Response(FundClaimSerializer(claim).data)
