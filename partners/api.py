from rest_framework import generics, serializers

from prm.core.access import ALL_ROLES
from prm.core.api import PartnerContextMixin

from .models import Partner
from .selectors import partner_get, partner_list


class PartnerSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.code", allow_null=True, default=None)
    account_manager = serializers.EmailField(
        source="account_manager.email", allow_null=True, default=None
    )

    class Meta:
        model = Partner
        fields = [
            "code",
            "name",
            "local_name",
            "legal_name",
            "country",
            "currency",
            "tier",
            "status",
            "account_manager",
        ]


class PartnerListAPIView(PartnerContextMixin, generics.ListAPIView):
    """Partners the caller may see: all or assigned ones for vendor staff, the current one for
    partner users."""

    allowed_roles = ALL_ROLES
    serializer_class = PartnerSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Partner.objects.none()
        return partner_list(user=self.request.user, current_partner=self.request.partner)


class PartnerDetailAPIView(PartnerContextMixin, generics.RetrieveAPIView):
    allowed_roles = ALL_ROLES
    serializer_class = PartnerSerializer
    lookup_url_kwarg = "code"

    queryset = Partner.objects.none()

    def get_object(self):
        return partner_get(
            user=self.request.user, code=self.kwargs["code"], current_partner=self.request.partner
        )
