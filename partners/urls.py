from django.urls import path

from . import views

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="partner_list"),
    path("switch/", views.PartnerSwitchView.as_view(), name="partner_switch"),
    path("<str:code>/", views.PartnerDetailView.as_view(), name="partner_detail"),
]
