"""The resource library, mounted at /resources/."""

from django.urls import path

from . import resource_views as views

urlpatterns = [
    path("", views.ResourceListView.as_view(), name="resource_list"),
    path("new/", views.ResourceCreateView.as_view(), name="resource_create"),
    path("<int:pk>/", views.ResourceDetailView.as_view(), name="resource_detail"),
    path("<int:pk>/download/", views.ResourceDownloadView.as_view(), name="resource_download"),
    path(
        "<int:pk>/versions/<int:number>/download/",
        views.ResourceDownloadView.as_view(),
        name="resource_version_download",
    ),
    path(
        "<int:pk>/versions/new/",
        views.ResourceVersionCreateView.as_view(),
        name="resource_version_create",
    ),
    path("<int:pk>/announce/", views.ResourceAnnounceView.as_view(), name="resource_announce"),
]
