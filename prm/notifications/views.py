from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from prm.core.access import ALL_ROLES, RoleRequiredMixin

from .forms import PreferencesForm
from .models import Notification
from .services import (
    notification_counts,
    notification_mark_read,
    notification_pages,
    preferences_get,
    preferences_set,
    unread_count,
)

PAGE_SIZE = 25


class NotificationListView(RoleRequiredMixin, TemplateView):
    """The notification centre: newest first, unread ones marked, all or unread only."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True
    template_name = "notifications/notification_list.html"

    def get_template_names(self) -> list[str]:
        if self.request.htmx:
            return ["notifications/notification_list.html#notification-list"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unread_only = self.request.GET.get("show") == "unread"
        rows = notification_pages(user=self.request.user, unread_only=unread_only)
        total, unread = notification_counts(user=self.request.user)
        paginator = Paginator(rows, PAGE_SIZE)
        # The list's size, counted with its unread notifications.
        paginator.count = unread if unread_only else total
        context["page_obj"] = paginator.get_page(self.request.GET.get("page"))
        context["unread_only"] = unread_only
        context["unread_count"] = unread
        return context


class NotificationBadgeView(RoleRequiredMixin, View):
    """The unread count in the navigation bar, fetched by htmx after the page loads."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True

    def get(self, request):
        return render(
            request,
            "notifications/_badge.html",
            {"unread_count": unread_count(user=request.user)},
        )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class NotificationOpenView(RoleRequiredMixin, View):
    """Mark one notification read and go to what it is about (or answer the htmx row)."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True

    def post(self, request, pk: int):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        notification_mark_read(user=request.user, pk=notification.pk)
        if request.htmx:
            notification.refresh_from_db()
            response = render(
                request,
                "notifications/notification_list.html#notification-row",
                {"notification": notification},
            )
            response["HX-Trigger"] = "notifications-changed"
            return response
        if request.POST.get("open") and notification.url.startswith("/"):
            return redirect(notification.url)
        return redirect(_safe_next(request, "notification_list"))


class NotificationReadAllView(RoleRequiredMixin, View):
    allowed_roles = ALL_ROLES
    allow_unaffiliated = True

    def post(self, request):
        count = notification_mark_read(user=request.user)
        messages.success(
            request, _("All notifications are marked read (%(count)s).") % {"count": count}
        )
        return redirect(_safe_next(request, "notification_list"))


class PreferencesView(RoleRequiredMixin, FormView):
    """Per category: in the portal only, by email, or in a daily digest."""

    allowed_roles = ALL_ROLES
    allow_unaffiliated = True
    template_name = "notifications/preferences.html"

    def get_form(self, form_class=None):
        return PreferencesForm(
            self.request.POST or None,
            initial_choices=preferences_get(user=self.request.user),
        )

    def form_valid(self, form):
        preferences_set(user=self.request.user, choices=form.cleaned_data)
        messages.success(self.request, _("Your notification settings were saved."))
        return redirect("notification_preferences")
