"""Announcement pages, mounted at /announcements/."""

from django.urls import path

from .views import announcements as views

urlpatterns = [
    path("", views.AnnouncementListView.as_view(), name="announcement_list"),
    path("new/", views.AnnouncementCreateView.as_view(), name="announcement_create"),
    path("<int:pk>/", views.AnnouncementDetailView.as_view(), name="announcement_detail"),
    path("<int:pk>/edit/", views.AnnouncementUpdateView.as_view(), name="announcement_edit"),
    path("<int:pk>/delete/", views.AnnouncementDeleteView.as_view(), name="announcement_delete"),
    path("<int:pk>/publish/", views.AnnouncementPublishView.as_view(), name="announcement_publish"),
    path("<int:pk>/remind/", views.AnnouncementRemindView.as_view(), name="announcement_remind"),
    path(
        "<int:pk>/acknowledge/",
        views.AnnouncementAcknowledgeView.as_view(),
        name="announcement_acknowledge",
    ),
]
