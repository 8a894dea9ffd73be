"""`/api/v1/community/posts/`: the ideas and questions board, scoped and anonymised like its
pages (authors as tier and territory); partner users post (400 naming the field)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from prm.core.access import BOARD_PARTNER_ROLES, BOARD_ROLES, request_role
from prm.core.api import BaseAPIView
from prm.core.errors import DomainError

from .board import authors_label, post_list
from .board_services import post_create
from .board_views import reader_for
from .models import BoardCategory, Post

LIMIT = 100


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Post.Kind.choices)
    category = serializers.SlugRelatedField(slug_field="code", queryset=BoardCategory.objects.all())
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=10000)
    status = serializers.CharField(read_only=True)
    status_reason = serializers.CharField(read_only=True)
    votes = serializers.IntegerField(source="vote_count", read_only=True)
    comments = serializers.IntegerField(source="comment_count", read_only=True)
    voted = serializers.BooleanField(read_only=True)
    author = serializers.CharField(source="author_label", read_only=True)
    merged_into = serializers.IntegerField(source="merged_into_id", read_only=True)
    hidden = serializers.BooleanField(source="is_hidden", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class PostListCreateAPIView(BaseAPIView):
    """GET: the posts the caller may read (filters `category`, `status`, `kind`, `q`; `sort` =
    votes|newest), at most 100. POST: a partner user posts an idea or a question."""

    allowed_roles = BOARD_ROLES

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False)
            for name in ("category", "status", "kind", "q", "sort")
        ],
        responses={200: PostSerializer(many=True)},
    )
    def get(self, request):
        reader = reader_for(request._request)
        params = request.query_params
        rows = list(
            post_list(
                reader=reader,
                category=params.get("category", "")[:32],
                status=params.get("status", "")[:16],
                kind=params.get("kind", "")[:16],
                search=params.get("q", "")[:100],
                sort=params.get("sort", "votes"),
            )[:LIMIT]
        )
        authors_label(rows, reader=reader)
        return Response(PostSerializer(rows, many=True).data)

    @extend_schema(request=PostSerializer, responses={201: PostSerializer})
    def post(self, request):
        if request_role(request._request) not in BOARD_PARTNER_ROLES:
            raise PermissionDenied
        serializer = PostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            post = post_create(
                actor=request.user,
                partner=request.partner,
                kind=data["kind"],
                category=data["category"],
                title=data["title"],
                body=data["body"],
            )
        except DomainError as exc:
            raise ValidationError(
                {exc.field or api_settings.NON_FIELD_ERRORS_KEY: [exc.message]}
            ) from exc
        post.voted = False
        authors_label([post], reader=reader_for(request._request))
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)
