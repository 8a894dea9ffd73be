"""Tier pages, mounted at /tiers/."""

from django.urls import path

from . import views

urlpatterns = [
    path("next/", views.TierNextView.as_view(), name="tier_next"),
    path("reviews/", views.TierReviewListView.as_view(), name="tier_review_list"),
    path(
        "reviews/<int:pk>/approve/",
        views.TierPromotionApproveView.as_view(),
        name="tier_promotion_approve",
    ),
    path(
        "reviews/<int:pk>/reject/",
        views.TierPromotionRejectView.as_view(),
        name="tier_promotion_reject",
    ),
]
