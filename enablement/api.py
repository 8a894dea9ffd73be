from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from partners.selectors import partner_get
from prm.core.access import ALL_ROLES, VENDOR_ROLES, request_role
from prm.core.api import BaseAPIView

from .tiers import tier_evaluations


class GapSerializer(serializers.Serializer):
    requirement = serializers.CharField()
    required = serializers.CharField()
    actual = serializers.CharField()
    met = serializers.BooleanField()


class TierEvaluationSerializer(serializers.Serializer):
    partner = serializers.CharField()
    current = serializers.CharField(allow_null=True)
    qualified = serializers.CharField(allow_null=True)
    proposal = serializers.ChoiceField(choices=["promote", "demote", "keep"])
    revenue_12m = serializers.CharField()
    next_tier = serializers.CharField(allow_null=True)
    gaps = GapSerializer(many=True)


class TierEvaluationView(BaseAPIView):
    """The current partner's tier evaluation today, the same shape as one element of
    `evaluate_tiers --format json` (vendor staff name the partner with ?partner=CODE)."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "partner", str, description="partner code (vendor staff; others: their own)"
            ),
        ],
        responses=TierEvaluationSerializer,
    )
    def get(self, request):
        code = request.query_params.get("partner", "")
        if code:
            partner = partner_get(user=request.user, code=code, current_partner=request.partner)
        elif request_role(request) in VENDOR_ROLES:
            raise ValidationError({"partner": ["Name the partner: ?partner=CODE."]})
        else:
            partner = request.partner
        if partner is None:
            raise Http404
        [evaluation] = tier_evaluations(on=timezone.localdate(), partners=[partner])
        return Response(evaluation)
