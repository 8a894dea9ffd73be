"""Partner pulse pages, mounted at /pulse/."""

from django.urls import path

from . import pulse_views

urlpatterns = [
    path("", pulse_views.PulseFormView.as_view(), name="pulse_form"),
    path("results/", pulse_views.PulseResultsView.as_view(), name="pulse_results"),
]
