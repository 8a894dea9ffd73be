from django.urls import path

from . import certificate_views, learning_views

urlpatterns = [
    path("", learning_views.LearningHomeView.as_view(), name="learning_home"),
    path("certificates/", certificate_views.CertificateListView.as_view(), name="certificate_list"),
    path(
        "certificates/<int:pk>/pdf/",
        certificate_views.CertificatePdfView.as_view(),
        name="certificate_pdf",
    ),
    path("courses/", learning_views.CourseReportView.as_view(), name="learning_course_report"),
    path(
        "courses/chase/<str:code>/",
        learning_views.ChasePartnerView.as_view(),
        name="learning_chase",
    ),
    path("course/<slug:code>/", learning_views.CourseDetailView.as_view(), name="learning_course"),
    path(
        "course/<slug:code>/modules/<int:pk>/done/",
        learning_views.ModuleDoneView.as_view(),
        name="learning_module_done",
    ),
    path(
        "course/<slug:code>/modules/<int:pk>/file/",
        learning_views.ModuleFileView.as_view(),
        name="learning_module_file",
    ),
    path("course/<slug:code>/quiz/", learning_views.QuizView.as_view(), name="learning_quiz"),
    path("workshops/", learning_views.WorkshopListView.as_view(), name="workshop_list"),
    path(
        "workshops/<int:pk>/register/",
        learning_views.WorkshopRegisterView.as_view(),
        name="workshop_register",
    ),
    path(
        "workshops/<int:pk>/cancel/",
        learning_views.WorkshopCancelView.as_view(),
        name="workshop_cancel",
    ),
    path(
        "workshops/<int:pk>/calendar.ics",
        learning_views.WorkshopCalendarView.as_view(),
        name="workshop_calendar",
    ),
    path(
        "workshops/<int:pk>/attendance/",
        learning_views.WorkshopAttendanceView.as_view(),
        name="workshop_attendance",
    ),
]
