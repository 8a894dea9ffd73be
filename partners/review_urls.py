"""Business review pages, mounted at /reviews/."""

from django.urls import path

from .views import reviews as views

urlpatterns = [
    path("", views.ReviewListView.as_view(), name="review_list"),
    path("<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("<int:pk>/calendar.ics", views.ReviewCalendarView.as_view(), name="review_calendar"),
    path("<int:pk>/reschedule/", views.ReviewRescheduleView.as_view(), name="review_reschedule"),
    path("<int:pk>/cancel/", views.ReviewCancelView.as_view(), name="review_cancel"),
    path("<int:pk>/hold/", views.ReviewHoldView.as_view(), name="review_hold"),
    path("<int:pk>/notes/", views.ReviewNotesView.as_view(), name="review_notes"),
    path("<int:pk>/items/", views.ActionItemAddView.as_view(), name="action_item_add"),
    path(
        "<int:pk>/items/<int:item_pk>/toggle/",
        views.ActionItemToggleView.as_view(),
        name="action_item_toggle",
    ),
]
