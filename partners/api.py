from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.settings import api_settings

from prm.core.access import ALL_ROLES, DEAL_REGISTER_ROLES, DEAL_ROLES, request_role
from prm.core.api import PartnerContextMixin
from prm.core.errors import DomainError

from .models import DealRegistration, Partner, Territory
from .selectors import deal_get, deal_list, partner_get, partner_list, product_line_queryset
from .services import deal_register


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


class StrictDecimalField(serializers.DecimalField):
    """Money arrives as a decimal string (or an integer), never as a float."""

    default_error_messages = {
        "float": _('Send the amount as a decimal string, e.g. "125000.00".'),
    }

    def to_internal_value(self, data):
        if isinstance(data, float):
            self.fail("float")
        return super().to_internal_value(data)


class DealRegistrationSerializer(serializers.ModelSerializer):
    """A deal registration as the partner sees it: its status, protection and whether it
    conflicts with another partner's registration (never which partner)."""

    number = serializers.CharField(read_only=True)
    partner = serializers.CharField(source="partner.code", read_only=True)
    territory = serializers.SlugRelatedField(slug_field="code", queryset=Territory.objects.all())
    product_lines = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=product_line_queryset(), allow_empty=False
    )
    estimated_value = StrictDecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), coerce_to_string=True
    )
    conflict = serializers.BooleanField(source="has_conflict", read_only=True)
    customer_tax_id = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )
    customer_domain = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "number",
            "partner",
            "customer_name",
            "customer_tax_id",
            "customer_domain",
            "territory",
            "product_lines",
            "estimated_value",
            "currency",
            "expected_close",
            "description",
            "status",
            "conflict",
            "protected_until",
            "decision_reason",
            "decided_at",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "protected_until",
            "decision_reason",
            "decided_at",
            "created_at",
        ]

    def validate(self, attrs):
        if (
            not attrs.get("customer_tax_id", "").strip()
            and not attrs.get("customer_domain", "").strip()
        ):
            raise serializers.ValidationError(
                {"customer_tax_id": [_("Give the customer's tax id or web domain.")]}
            )
        return attrs


class DealListCreateAPIView(PartnerContextMixin, generics.ListCreateAPIView):
    """GET: the registrations the caller may see. POST: register a deal for the caller's
    current partner (partner admins and sales users)."""

    allowed_roles = DEAL_ROLES
    serializer_class = DealRegistrationSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DealRegistration.objects.none()
        return deal_list(user=self.request.user, current_partner=self.request.partner)

    def create(self, request, *args, **kwargs):
        if request_role(request) not in DEAL_REGISTER_ROLES:
            raise PermissionDenied(_("Only partner users register deals."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            deal = deal_register(
                partner=request.partner,
                actor=request.user,
                customer_name=data["customer_name"],
                customer_tax_id=data["customer_tax_id"],
                customer_domain=data["customer_domain"],
                territory=data["territory"],
                product_lines=data["product_lines"],
                estimated_value=data["estimated_value"],
                currency=data["currency"],
                expected_close=data["expected_close"],
                description=data["description"],
            )
        except DomainError as exc:
            raise serializers.ValidationError(
                {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
            ) from exc
        deal = deal_get(user=request.user, pk=deal.pk, current_partner=request.partner)
        return Response(self.get_serializer(deal).data, status=status.HTTP_201_CREATED)


class DealDetailAPIView(PartnerContextMixin, generics.RetrieveAPIView):
    allowed_roles = DEAL_ROLES
    serializer_class = DealRegistrationSerializer
    queryset = DealRegistration.objects.none()

    def get_object(self):
        return deal_get(
            user=self.request.user, pk=self.kwargs["pk"], current_partner=self.request.partner
        )
