"""`/api/v1/purchases/imports/` and `/api/v1/price-protection/claims/` (spec "Price
protection"). Another partner's claim answers 404; a broken rule answers 400 naming the field."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from prm.core.access import (
    ALL_ROLES,
    PROTECTION_DECLARE_ROLES,
    PROTECTION_ROLES,
    VENDOR_ROLES,
    is_vendor,
)
from prm.core.api import BaseAPIView
from prm.core.errors import DomainError

from .models import PriceProtectionClaim
from .protection import claim_decide, claim_declare
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
    original_currency = serializers.CharField(
        allow_null=True, help_text="As invoiced, when the purchase was in another currency."
    )
    original_unit_net_price = serializers.CharField(allow_null=True)
    exchange_rate = serializers.CharField(allow_null=True)
    rate_date = serializers.DateField(allow_null=True)


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.CharField()
    sku = serializers.CharField()
    effective_date = serializers.CharField()
    new_net_price = serializers.CharField()
    declared_on_hand = serializers.CharField(allow_null=True)
    eligible_units = serializers.CharField()
    credit = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    lines = ClaimLineSerializer(many=True)


def _claim(claim: PriceProtectionClaim) -> dict:
    """The contract's fields, with the partner and the vendor's decision."""
    return {
        **protection_claim_as_dict(claim),
        "partner": claim.partner.code,
        "reason": claim.decision_reason,
        "decided_at": claim.decided_at.isoformat() if claim.decided_at else None,
    }


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


STATUS = OpenApiParameter(
    "status",
    str,
    enum=[s.value for s in PriceProtectionClaim.Status],
    description="Only the claims in this status.",
)
PARTNER = OpenApiParameter("partner", str, description="Only the claims of this partner (code).")


class ProtectionClaimListAPIView(BaseAPIView):
    """The caller's price-protection claims with their credit line by line; vendor staff see
    every partner they may see, filtered by `status` and `partner`."""

    allowed_roles = PROTECTION_ROLES

    @extend_schema(responses={200: ClaimSerializer(many=True)}, parameters=[STATUS, PARTNER])
    def get(self, request):
        claims = (
            protection_claim_visible_queryset(user=request.user, current_partner=request.partner)
            .prefetch_related("lines__purchase")
            .order_by("-effective_date", "product__sku", "-pk")
        )
        status_ = request.query_params.get("status")
        if status_ is not None:
            if status_ not in PriceProtectionClaim.Status.values:
                raise ValidationError(
                    {
                        "status": [
                            _("Give one of: %(values)s.")
                            % {"values": ", ".join(PriceProtectionClaim.Status.values)}
                        ]
                    }
                )
            claims = claims.filter(status=status_)
        partner = request.query_params.get("partner")
        if partner:
            claims = claims.filter(partner__code=partner)
        return Response([_claim(c) for c in claims])


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
        return Response(_claim(claim))


class ProtectionDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ProtectionClaimDecisionAPIView(BaseAPIView):
    """Vendor staff approve a submitted claim (its credit becomes an adjustment on the partner's
    next draft statement) or reject it with a reason the partner reads. To a partner user the
    decision of a claim does not exist (404), as another partner's claim does not."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        request=ProtectionDecisionSerializer, responses={200: ClaimSerializer}, parameters=[ID]
    )
    def post(self, request, pk):
        if not is_vendor(request):
            raise Http404
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        serializer = ProtectionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            claim_decide(
                actor=request.user,
                claim=claim,
                decision=data["decision"],
                reason=data.get("reason", ""),
            )
        except DomainError as exc:
            raise ValidationError(
                {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
            ) from exc
        claim = protection_claim_get(user=request.user, current_partner=request.partner, pk=pk)
        return Response(_claim(claim))
