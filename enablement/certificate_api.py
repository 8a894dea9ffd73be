"""GET /api/v1/learning/certifications/: the caller's certificates, or for vendor staff those of
the members of a partner (`?partner=CODE`) or of every partner they may see."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound

from partners.selectors import partner_get
from prm.core.access import ALL_ROLES, VENDOR_ROLES, request_role
from prm.core.api import PartnerContextMixin

from .certificate_selectors import (
    certificate_is_valid,
    certificate_list_for_partner,
    certificate_visible_queryset,
)
from .models import Certificate


class CertificateSerializer(serializers.ModelSerializer):
    certification = serializers.CharField(source="certification.code")
    certification_name = serializers.CharField(source="certification.name")
    email = serializers.EmailField(source="user.email")
    name = serializers.SerializerMethodField()
    valid = serializers.SerializerMethodField(
        help_text=_("Whether the certificate is valid today (earned ≤ today < expires).")
    )

    class Meta:
        model = Certificate
        fields = [
            "id",
            "certification",
            "certification_name",
            "email",
            "name",
            "earned",
            "expires",
            "valid",
        ]

    def get_name(self, obj: Certificate) -> str:
        return obj.user.get_full_name()

    def get_valid(self, obj: Certificate) -> bool:
        return certificate_is_valid(obj, self.context["today"])


class CertificateListAPIView(PartnerContextMixin, generics.ListAPIView):
    """The caller's certificates, valid and expired. Vendor staff read those held by the active
    members of the partner named by `?partner=CODE`, or of every partner they may see; a
    partner outside the caller's reach answers 404."""

    allowed_roles = ALL_ROLES
    serializer_class = CertificateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Certificate.objects.none()
        request = self.request
        code = request.query_params.get("partner", "")
        role = request_role(request)
        if role in VENDOR_ROLES:
            if code:
                partner = partner_get(user=request.user, code=code)
                rows = certificate_list_for_partner(partner=partner)
            else:
                rows = certificate_visible_queryset(user=request.user, role=role)
        else:
            if code and (request.partner is None or code != request.partner.code):
                raise NotFound
            rows = certificate_visible_queryset(user=request.user, role=role)
        return rows.order_by("certification__code", "user__email", "-earned", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        parameters=[
            OpenApiParameter("partner", str, description=_("vendor staff: the partner's code"))
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
