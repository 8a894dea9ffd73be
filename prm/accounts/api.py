from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from prm.core.access import ALL_ROLES, request_role
from prm.core.api import BaseAPIView


class MembershipSerializer(serializers.Serializer):
    partner = serializers.CharField(source="partner.code")
    partner_name = serializers.CharField(source="partner.name")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    language = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    vendor_role = serializers.CharField(allow_blank=True)
    current_partner = serializers.CharField(allow_null=True)
    memberships = MembershipSerializer(many=True)


class MeView(BaseAPIView):
    """Who the caller is: their role, current partner and memberships."""

    allowed_roles = ALL_ROLES

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        partner = getattr(request, "partner", None)
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            "role": request_role(request),
            "vendor_role": user.vendor_role,
            "current_partner": partner.code if partner else None,
            "memberships": getattr(request, "memberships", []),
        }
        return Response(MeSerializer(data).data)
