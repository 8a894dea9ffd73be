"""`GET|POST /api/v1/disputes/`: the caller's cases, and opening one."""

from django.utils.translation import gettext as _
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from partners.selectors import partner_visible_queryset
from prm.core.access import ALL_ROLES, VENDOR_ROLES, request_role
from prm.core.api import PartnerContextMixin
from prm.core.errors import DomainError

from .models import Case
from .selectors import case_list
from .services import case_open

# Fields only vendor staff set when opening a case.
VENDOR_ONLY_FIELDS = ("incident", "severity", "evidence", "penalty")


class CaseSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    partner = serializers.SerializerMethodField()
    partner_code = serializers.CharField(write_only=True, required=False)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "priority",
            "subject",
            "description",
            "incident",
            "severity",
            "evidence",
            "penalty",
            "partner",
            "partner_code",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "resolution",
            "rating",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "resolution",
            "rating",
            "created_at",
        ]

    def get_partner(self, case: Case) -> str | None:
        """The partner's code, hidden from the other party of an undisclosed conflict."""
        request = self.context["request"]
        current = getattr(request, "partner", None)
        if request_role(request) in VENDOR_ROLES or case.parties_disclosed:
            return case.partner.code
        if current is not None and current.pk == case.partner_id:
            return case.partner.code
        return None


class CaseListCreateAPIView(PartnerContextMixin, generics.ListCreateAPIView):
    allowed_roles = ALL_ROLES
    serializer_class = CaseSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return case_list(user=self.request.user, current_partner=self.request.partner)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if request_role(request) in VENDOR_ROLES:
            partner = (
                partner_visible_queryset(user=request.user)
                .filter(code=data.get("partner_code", ""))
                .first()
            )
            if partner is None:
                raise serializers.ValidationError({"partner_code": [_("Unknown partner.")]})
        else:
            partner = request.partner
            if data["kind"] in (Case.Kind.CHANNEL_CONFLICT, Case.Kind.COMPLIANCE) or data.get(
                "incident"
            ):
                raise serializers.ValidationError({"kind": [_("Partners cannot open this kind.")]})
            # Severity, evidence and penalty are the vendor's findings: a partner's values are
            # ignored, as the page form does not offer these fields to partners.
            for name in VENDOR_ONLY_FIELDS:
                data.pop(name, None)
        try:
            case = case_open(
                actor=request.user,
                partner=partner,
                kind=data["kind"],
                priority=data.get("priority", Case.Priority.NORMAL),
                subject=data["subject"],
                description=data["description"],
                incident=data.get("incident", ""),
                severity=data.get("severity", ""),
                evidence=data.get("evidence", ""),
                penalty=data.get("penalty"),
            )
        except DomainError as exc:
            raise serializers.ValidationError(
                {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
            ) from exc
        return Response(self.get_serializer(case).data, status=status.HTTP_201_CREATED)
