"""`/api/v1/commitments/` (the current partner's record this year) and `/api/v1/health/` (its
score and parts). Vendor staff name the partner with ?partner=CODE; another partner's code, or
one outside a channel manager's assignment, answers 404."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from partners.selectors import partner_get
from prm.core.access import ALL_ROLES, VENDOR_ROLES, request_role
from prm.core.api import BaseAPIView

from .selectors import commitment_record_get, partner_health_get

PARTNER = OpenApiParameter("partner", str, description="partner code (vendor staff only)")


def _partner(request):
    if request_role(request) in VENDOR_ROLES:
        code = request.query_params.get("partner", "")
        if not code:
            raise ValidationError({"partner": [_("Name the partner: ?partner=CODE.")]})
        return partner_get(user=request.user, code=code)
    return request.partner


def _date(value):
    return value.isoformat() if value else None


class CommitmentRecordAPIView(BaseAPIView):
    """Each commitment with this year's instances, met or missed, with their dates."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        parameters=[PARTNER],
        responses=inline_serializer(
            "CommitmentRecord",
            {
                "partner": serializers.CharField(),
                "commitments": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        partner = _partner(request)
        record = commitment_record_get(
            user=request.user, code=partner.code, current_partner=request.partner
        )
        return Response(
            {
                "partner": partner.code,
                "commitments": [
                    {
                        "commitment": r.kind,
                        "label": str(r.label),
                        "limit_days": int(r.limit) if r.limit else None,
                        "met": r.met,
                        "missed": r.missed,
                        "instances": [
                            {
                                "ref": i.label,
                                "started": _date(i.start),
                                "due": _date(i.due),
                                "done": _date(i.done),
                                "met": i.met,
                            }
                            for i in r.instances
                        ],
                    }
                    for r in record.records
                ],
            }
        )


class HealthAPIView(BaseAPIView):
    """The partner's relationship health of the current quarter: the score and each part with its
    weight and value, as of `taken_at` (the figure the directory and the pages show)."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        parameters=[PARTNER],
        responses=inline_serializer(
            "Health",
            {
                "partner": serializers.CharField(),
                "score": serializers.IntegerField(allow_null=True),
                "taken_at": serializers.DateTimeField(),
                "parts": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        partner = _partner(request)
        health = partner_health_get(partner=partner)
        return Response(
            {
                "partner": partner.code,
                "score": health.score,
                "taken_at": health.taken_at.isoformat() if health.taken_at else None,
                "parts": [
                    {"part": p.key, "label": p.label, "weight": p.weight, "value": p.value}
                    for p in health.parts
                ],
            }
        )
