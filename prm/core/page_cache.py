"""Serving the heaviest pages (the dashboards and the lists of partners, agreements, deals,
prices, announcements, cases and reviews) from a cache that any recorded change makes stale at once.

A page is cached per session, language, current organisation and full URL (htmx partial or
whole page), under the *data version*: the newest recorded event, Django-admin change,
recompute request, sales import and announcement read, plus the current minute. Every service
that changes what these pages show records an event or one of those rows, so the next request
after a change renders afresh; time-based states (an SLA deadline passing, a review falling
overdue) and recomputes finishing in a worker show within a minute. Pages that carry a one-off
flash message are never cached, and only 200 responses are kept.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone, translation

# Tables whose newest row marks a change to what cached pages show; each max(id) is read from
# the primary-key index.
VERSION_TABLES = (
    "core_event",
    "django_admin_log",
    "commissions_recomputerequest",
    "commissions_importbatch",
    "partners_announcementread",
)


def data_version() -> str:
    """A token that changes whenever anything a cached page shows may have changed."""
    columns = ", ".join(f"(SELECT max(id) FROM {table})" for table in VERSION_TABLES)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns}")
        newest = cursor.fetchone()
    minute = int(timezone.now().timestamp() // 60)
    return ".".join(str(value or 0) for value in (*newest, minute))


def page_cache_key(request, version: str) -> str:
    partner = getattr(request, "partner", None)
    parts = [
        request.session.session_key or "",
        translation.get_language() or "",
        str(partner.pk if partner is not None else ""),
        "htmx" if getattr(request, "htmx", False) else "page",
        request.get_full_path(),
        version,
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"prm:page:{digest}"


def _has_flash_messages(request) -> bool:
    return bool(len(messages.get_messages(request)))


class VersionedPageCacheMixin:
    """View mixin (after RoleRequiredMixin, so access is checked on every request): answer a GET
    from the page cache when nothing changed since the page was rendered for this session."""

    def dispatch(self, request, *args, **kwargs):
        seconds = settings.PRM_PAGE_CACHE_SECONDS
        if (
            request.method != "GET"
            or not seconds
            or not request.user.is_authenticated
            or not request.session.session_key
            or _has_flash_messages(request)
        ):
            return super().dispatch(request, *args, **kwargs)
        key = page_cache_key(request, data_version())
        cached = cache.get(key)
        if cached is not None:
            content, content_type = cached
            return HttpResponse(content, content_type=content_type)
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response

        def store(rendered):
            cache.set(key, (rendered.content, rendered["Content-Type"]), seconds)

        if hasattr(response, "add_post_render_callback"):
            response.add_post_render_callback(store)
        else:
            store(response)
        return response
