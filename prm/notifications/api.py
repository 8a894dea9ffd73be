from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from prm.core.access import ALL_ROLES
from prm.core.api import BaseAPIView, PartnerContextMixin

from .models import Notification
from .services import notification_list, notification_mark_read, unread_count


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "category", "title", "url", "created_at", "read_at"]


class NotificationListAPIView(PartnerContextMixin, generics.ListAPIView):
    """The caller's notifications, newest first; `?unread=1` for the unread ones only."""

    allowed_roles = ALL_ROLES
    serializer_class = NotificationSerializer
    filterset_fields = ["category"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return notification_list(
            user=self.request.user, unread_only=self.request.query_params.get("unread") == "1"
        )

    @extend_schema(parameters=[OpenApiParameter("unread", bool, description=_("unread only"))])
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["unread_count"] = unread_count(user=request.user)
        return response


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text=_("The notifications to mark read; leave out to mark all of them read."),
    )


class MarkReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()


class NotificationMarkReadAPIView(BaseAPIView):
    """Mark the caller's notifications read: the listed ids, or all of them."""

    allowed_roles = ALL_ROLES

    @extend_schema(request=MarkReadSerializer, responses=MarkReadResultSerializer)
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = notification_mark_read(user=request.user, ids=ids)
        return Response({"marked": marked, "unread_count": unread_count(user=request.user)})
