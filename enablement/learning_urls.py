from django.urls import path

from . import certificate_views

urlpatterns = [
    path("certificates/", certificate_views.CertificateListView.as_view(), name="certificate_list"),
    path(
        "certificates/<int:pk>/pdf/",
        certificate_views.CertificatePdfView.as_view(),
        name="certificate_pdf",
    ),
]
