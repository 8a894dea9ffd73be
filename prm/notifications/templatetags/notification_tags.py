"""The notification centre's rows, written in Python: each row has a form, two buttons and a
dozen conditions, which as template nodes cost more than reading the notification."""

import html

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import gettext

from prm.core.dates import format_value
from prm.core.links import linker

from ..models import Category

register = template.Library()

CATEGORY_LABELS = dict(Category.choices)
_CSRF = CsrfTokenNode()
BOLD = ' class="fw-semibold"'


def _row(notification, csrf: str, words: dict) -> str:
    e = html.escape  # every value escaped here is a plain string
    unread = not notification.read_at
    title = e(notification.title)
    action = words["read_link"](notification.pk)
    created = notification.created_at.astimezone(words["zone"])
    new = f'<span class="badge text-bg-primary">{words["new"]}</span>' if unread else ""
    open_button = (
        '<button class="btn btn-sm btn-outline-primary" type="submit" name="open" value="1">'
        f'{words["open"]}<span class="visually-hidden">: {title}</span></button>'
        if notification.url
        else ""
    )
    read_button = (
        f'<button class="btn btn-sm btn-outline-secondary" type="submit" hx-post="{action}" '
        f'hx-target="#notification-{notification.pk}" hx-swap="outerHTML">'
        f'{words["mark_read"]}<span class="visually-hidden">: {title}</span></button>'
        if unread
        else ""
    )
    category = words["categories"].get(notification.category) or e(notification.category)
    return (
        '<li class="list-group-item d-flex flex-wrap align-items-center gap-2'
        f'{" list-group-item-unread" if unread else ""}" id="notification-{notification.pk}" '
        f'data-category="{e(notification.category)}">\n'
        f"{new}\n"
        '<div class="me-auto">\n'
        f"<div{BOLD if unread else ''}>{title}</div>\n"
        f'<small class="text-body-secondary">{category} · '
        f'<time datetime="{e(created.isoformat())}">'
        f"{e(format_value(created, words['when']))}</time></small>\n"
        "</div>\n"
        f'<form method="post" action="{action}" class="d-flex gap-2">\n'
        f"{csrf}\n"
        f"{open_button}\n"
        f"{read_button}\n"
        "</form>\n"
        "</li>"
    )


def _words() -> dict:
    """What every row of a list shares: its words in the reader's language, the format and time
    zone of its times, the path of the form that marks a notification read."""
    return {
        "when": get_format("DATETIME_FORMAT"),
        "zone": get_current_timezone(),
        "read_link": linker("notification_read"),
        "new": conditional_escape(gettext("New")),
        "open": conditional_escape(gettext("Open")),
        "mark_read": conditional_escape(gettext("Mark read")),
        "categories": {key: conditional_escape(label) for key, label in CATEGORY_LABELS.items()},
    }


@register.simple_tag(takes_context=True)
def notification_rows(context, notifications):
    """The `<li>`s of the notification centre: title, category and time, marked while unread,
    with a form to open it (when it links somewhere) and to mark it read.

    {% notification_rows page_obj %}
    """
    csrf, words = _CSRF.render(context), _words()
    return mark_safe(  # noqa: S308 - _row escapes every value
        "\n".join(_row(notification, csrf, words) for notification in notifications)
    )


@register.simple_tag(takes_context=True)
def notification_row(context, notification):
    """One row of the notification centre, as `notification_rows` writes it (the answer to
    marking it read from the list)."""
    return mark_safe(_row(notification, _CSRF.render(context), _words()))  # noqa: S308
