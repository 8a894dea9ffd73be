"""Ideas and questions board pages, mounted at /community/."""

from django.urls import path

from . import board_views as views

urlpatterns = [
    path("", views.BoardListView.as_view(), name="board_list"),
    path("new/", views.PostCreateView.as_view(), name="board_post_create"),
    path("<int:pk>/", views.PostDetailView.as_view(), name="board_post_detail"),
    path("<int:pk>/vote/", views.PostVoteView.as_view(), name="board_post_vote"),
    path("<int:pk>/comment/", views.CommentAddView.as_view(), name="board_comment_add"),
    path("<int:pk>/status/", views.PostStatusView.as_view(), name="board_post_status"),
    path("<int:pk>/merge/", views.PostMergeView.as_view(), name="board_post_merge"),
    path("<int:pk>/hide/", views.PostHideView.as_view(), name="board_post_hide"),
    path("<int:pk>/unhide/", views.PostUnhideView.as_view(), name="board_post_unhide"),
]
