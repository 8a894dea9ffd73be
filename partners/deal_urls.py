"""Deal registration pages, mounted at /deals/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.DealListView.as_view(), name="deal_list"),
    path("new/", views.DealCreateView.as_view(), name="deal_create"),
    path("<int:pk>/", views.DealDetailView.as_view(), name="deal_detail"),
    path("<int:pk>/approve/", views.DealApproveView.as_view(), name="deal_approve"),
    path("<int:pk>/reject/", views.DealRejectView.as_view(), name="deal_reject"),
]
