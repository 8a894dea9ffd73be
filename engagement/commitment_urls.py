"""The vendor's commitments, mounted at /commitments/."""

from django.urls import path

from . import commitment_views as views

urlpatterns = [
    path("", views.CommitmentHomeView.as_view(), name="commitment_home"),
    path("partners/<str:code>/", views.CommitmentPartnerView.as_view(), name="commitment_partner"),
    path("managers/<int:pk>/", views.CommitmentManagerView.as_view(), name="commitment_manager"),
]
