from django.urls import path

from . import views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notification_list"),
    path("badge/", views.NotificationBadgeView.as_view(), name="notification_badge"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notification_read_all"),
    path("settings/", views.PreferencesView.as_view(), name="notification_preferences"),
    path("<int:pk>/read/", views.NotificationOpenView.as_view(), name="notification_read"),
]
