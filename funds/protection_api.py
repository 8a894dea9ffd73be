"""`/api/v1/purchases/imports/` and `/api/v1/price-protection/claims/` (spec "Price
protection"). Another partner's claim answers 404; a broken rule answers 400 naming the field."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from prm.core.access import PROTECTION_DECLARE_ROLES, PROTECTION_ROLES, VENDOR_ROLES
from prm.core.api import BaseAPIView
from prm.core.errors import DomainError

from .protection import claim_declare
from .purchases import purchases_import
from .selectors import (
    protection_claim_as_dict,
    protection_claim_get,
    protection_claim_visible_queryset,
)

ID = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)
MAX_UPLOAD = 200 * 1024 * 1024


class ClaimLineSerializer(serializers.Serializer):
    invoice_number = serializers.CharField()
    line = serializers.IntegerField()
    units = serializers.CharField()
    unit_net_price = serializers.CharField()
    credit = serializers.CharField()


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    effective_date = serializers.CharField()
    new_net_price = serializers.CharField()
    declared_on_hand = serializers.CharField(allow_null=True)
    eligible_units = serializers.CharField()
    credit = serializers.CharField()
    status = serializers.CharField()
    lines = ClaimLineSerializer(many=True)


class PurchaseImportAPIView(BaseAPIView):
    """Import a purchases CSV (multipart field `file`); answers the counts and the rejected rows.
    Rows for a partner the caller may not see are rejected as unknown partners."""

    allowed_roles = VENDOR_ROLES
    parser_classes = [MultiPartParser]

    @extend_schema(
        request=inline_serializer("PurchaseImportUpload", {"file": serializers.FileField()}),
        responses={201: dict},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["This field is required."]})
        if upload.size > MAX_UPLOAD:
            raise ValidationError({"file": ["The file is too large."]})
        result = purchases_import(file=upload, filename=upload.name, actor=request.user)
        data = {
            "id": result.batch.pk,
            "created": result.created,
            "duplicate": result.duplicates,
            "rejected": len(result.rejected),
            "rejected_rows": [
                {"row": r.row, "column": r.column, "reason": r.reason} for r in result.rejected
            ],
        }
        return Response(data, status=status.HTTP_201_CREATED)


class ProtectionClaimListAPIView(BaseAPIView):
    """The caller's price-protection claims with their credit line by line."""

    allowed_roles = PROTECTION_ROLES

    @extend_schema(responses={200: ClaimSerializer(many=True)})
    def get(self, request):
        claims = (
            protection_claim_visible_queryset(user=request.user, current_partner=request.partner)
            .prefetch_related("lines__purchase")
            .order_by("-effective_date", "product__sku", "-pk")
        )
        return Response([protection_claim_as_dict(c) for c in claims])


class DeclareSerializer(serializers.Serializer):
    on_hand = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class ProtectionClaimDeclareAPIView(BaseAPIView):
    """Declare the units on hand at the end of the day before the cut; the claim is submitted
    with its credit."""

    allowed_roles = PROTECTION_DECLARE_ROLES

    @extend_schema(request=DeclareSerializer, responses={200: ClaimSerializer}, parameters=[ID])
    def post(self, request, pk):
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        serializer = DeclareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            claim = claim_declare(
                actor=request.user, claim=claim, on_hand=serializer.validated_data["on_hand"]
            )
        except DomainError as exc:
            raise ValidationError(
                {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
            ) from exc
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        return Response(protection_claim_as_dict(claim))
