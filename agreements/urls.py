from django.urls import path

from . import views

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="agreement_list"),
    path("new/", views.AgreementCreateView.as_view(), name="agreement_create"),
    path("<str:number>/", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("<str:number>/accept/", views.AcceptVersionView.as_view(), name="agreement_accept"),
    path("<str:number>/question/", views.AskQuestionView.as_view(), name="agreement_question"),
    path("<str:number>/terminate/", views.TerminateView.as_view(), name="agreement_terminate"),
    path("<str:number>/propose/", views.ProposeTermsView.as_view(), name="agreement_propose"),
    path(
        "<str:number>/versions/<int:version>/",
        views.VersionDetailView.as_view(),
        name="agreement_version",
    ),
]

pricing_urlpatterns = [
    path("", views.PriceSheetView.as_view(), name="price_sheet"),
    path("export.csv", views.PriceExportView.as_view(), name="price_export"),
]
