from django.urls import path

from . import views

payout_urlpatterns = [
    path("", views.StatementListView.as_view(), name="statement_list"),
    path("export.csv", views.StatementExportView.as_view(), name="statement_export"),
    path("export.xlsx", views.StatementExcelView.as_view(), name="statement_export_xlsx"),
    path("bank/<str:code>/", views.BankDetailsView.as_view(), name="bank_details"),
    path("bank/<str:code>/edit/", views.BankDetailsEditView.as_view(), name="bank_details_edit"),
    path("recompute/", views.RecomputeView.as_view(), name="recompute"),
    path("recompute/<int:pk>/", views.RecomputeDetailView.as_view(), name="recompute_detail"),
    path("<int:pk>/", views.StatementDetailView.as_view(), name="statement_detail"),
    path("<int:pk>/approve/", views.StatementApproveView.as_view(), name="statement_approve"),
    path("<int:pk>/pay/", views.StatementPayView.as_view(), name="statement_pay"),
    path("<int:pk>/statement.pdf", views.StatementPdfView.as_view(), name="statement_pdf"),
    path(
        "<int:pk>/acknowledge/",
        views.StatementAcknowledgeView.as_view(),
        name="statement_acknowledge",
    ),
    path(
        "<int:pk>/recompute/",
        views.StatementRecomputeView.as_view(),
        name="statement_recompute",
    ),
    path(
        "<int:pk>/lines/<int:position>/sales/",
        views.StatementLineSalesView.as_view(),
        name="statement_line_sales",
    ),
    path(
        "<int:pk>/lines/<int:position>/sales.csv",
        views.StatementLineSalesExportView.as_view(),
        name="statement_line_sales_export",
    ),
    path(
        "<int:pk>/unmatched/",
        views.StatementLineSalesView.as_view(),
        name="statement_unmatched_sales",
    ),
]

import_urlpatterns = [
    path("", views.SalesImportListView.as_view(), name="sales_import_list"),
    path("<int:pk>/", views.SalesImportDetailView.as_view(), name="sales_import_detail"),
    path(
        "<int:pk>/rejected.csv",
        views.RejectedRowsExportView.as_view(),
        name="sales_import_rejected",
    ),
]

payment_import_urlpatterns = [
    path("", views.PaymentImportListView.as_view(), name="payment_import_list"),
    path("<int:pk>/", views.PaymentImportDetailView.as_view(), name="payment_import_detail"),
]
