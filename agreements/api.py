import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from partners.selectors import partner_get
from prm.core.access import ALL_ROLES, VENDOR_ROLES, request_role
from prm.core.api import BaseAPIView

from .pricing import price_row_as_dict, price_sheet


class PriceRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    list_price = serializers.CharField(allow_null=True)
    discount = serializers.CharField()
    promotion = serializers.CharField(allow_null=True)
    net_price = serializers.CharField(allow_null=True)
    map_price = serializers.CharField(allow_null=True)
    currency = serializers.CharField()


class PricingView(BaseAPIView):
    """The current partner's price sheet (vendor staff name the partner with ?partner=CODE)."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="YYYY-MM-DD, default today"),
            OpenApiParameter("partner", str, description="partner code (vendor staff only)"),
        ],
        responses=PriceRowSerializer(many=True),
    )
    def get(self, request):
        if request_role(request) in VENDOR_ROLES:
            code = request.query_params.get("partner", "")
            if not code:
                raise ValidationError({"partner": ["Name the partner: ?partner=CODE."]})
            partner = partner_get(user=request.user, code=code)
        else:
            partner = request.partner
        raw = request.query_params.get("date", "")
        try:
            on = dt.date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError as exc:
            raise ValidationError({"date": ["Not a date (YYYY-MM-DD)."]}) from exc
        rows = price_sheet(partner=partner, on=on)
        return Response([price_row_as_dict(row) for row in rows])
