from django.urls import path

from . import views

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case_list"),
    path("new/", views.CaseOpenView.as_view(), name="case_open"),
    path("report/", views.CaseReportView.as_view(), name="case_report"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("<int:pk>/messages/", views.CaseMessageView.as_view(), name="case_message"),
    path("<int:pk>/status/", views.CaseStatusView.as_view(), name="case_status"),
    path("<int:pk>/reassign/", views.CaseReassignView.as_view(), name="case_reassign"),
    path("<int:pk>/resolve/", views.CaseResolveView.as_view(), name="case_resolve"),
    path("<int:pk>/rate/", views.CaseRateView.as_view(), name="case_rate"),
    path("<int:pk>/disclose/", views.CaseDiscloseView.as_view(), name="case_disclose"),
    path(
        "<int:pk>/mediation/", views.CaseMediationReferView.as_view(), name="case_mediation_refer"
    ),
    path(
        "<int:pk>/mediation/outcome/",
        views.CaseMediationConcludeView.as_view(),
        name="case_mediation_conclude",
    ),
    path(
        "<int:pk>/attachments/<int:message_pk>/",
        views.CaseAttachmentView.as_view(),
        name="case_attachment",
    ),
]
