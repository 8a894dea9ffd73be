"""Market development fund pages, mounted at /funds/."""

from django.urls import path

from . import protection_views, views

urlpatterns = [
    path("", views.FundListView.as_view(), name="fund_list"),
    path("requests/new/", views.FundRequestCreateView.as_view(), name="fund_request_create"),
    path("requests/<int:pk>/", views.FundRequestDetailView.as_view(), name="fund_request_detail"),
    path(
        "requests/<int:pk>/decide/",
        views.FundRequestDecideView.as_view(),
        name="fund_request_decide",
    ),
    path(
        "requests/<int:pk>/cancel/",
        views.FundRequestCancelView.as_view(),
        name="fund_request_cancel",
    ),
    path("requests/<int:pk>/claim/", views.FundClaimCreateView.as_view(), name="fund_claim_create"),
    path("claims/<int:pk>/decide/", views.FundClaimDecideView.as_view(), name="fund_claim_decide"),
    path(
        "claims/<int:pk>/files/<int:file_pk>/",
        views.FundClaimFileView.as_view(),
        name="fund_claim_file",
    ),
    path("report/", views.FundReportView.as_view(), name="fund_report"),
    path("purchases/", protection_views.PurchaseListView.as_view(), name="purchase_list"),
    path(
        "purchases/imports/",
        protection_views.PurchaseImportListView.as_view(),
        name="purchase_import_list",
    ),
    path(
        "purchases/imports/<int:pk>/",
        protection_views.PurchaseImportDetailView.as_view(),
        name="purchase_import_detail",
    ),
    path(
        "protection/",
        protection_views.ProtectionClaimListView.as_view(),
        name="protection_claim_list",
    ),
    path(
        "protection/<int:pk>/",
        protection_views.ProtectionClaimDetailView.as_view(),
        name="protection_claim_detail",
    ),
    path(
        "protection/<int:pk>/declare/",
        protection_views.ProtectionClaimDeclareView.as_view(),
        name="protection_claim_declare",
    ),
    path(
        "protection/<int:pk>/decide/",
        protection_views.ProtectionClaimDecideView.as_view(),
        name="protection_claim_decide",
    ),
]
