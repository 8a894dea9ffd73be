"""Telling people: every event that concerns a user becomes an in-app notification and, by the
user's choice for its category, an email now, a line in tomorrow's digest, or nothing more.
Vendor admins may also route categories to team channels (Slack, Microsoft Teams)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from prm.core.mail import render_message
from prm.core.prepared import PreparedPages, PreparedQuery, counted
from prm.core.queue import enqueue_on_commit

from .models import (
    DEFAULT_DELIVERY,
    Category,
    Delivery,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)
Render = Callable[[], tuple[str, str]]
WEBHOOK_TIMEOUT = 10


def absolute_url(path: str) -> str:
    """The address of a portal page as seen from an email or a chat channel."""
    if not path or "://" in path:
        return path
    return settings.PRM_SITE_URL.rstrip("/") + path


def template_render(template: str, context: dict[str, Any]) -> Render:
    """Render `<template>_subject.txt` and `_body.txt` in the active language."""
    return lambda: render_message(template, context)


@dataclass(frozen=True)
class _Recipient:
    user: Any
    language: str
    delivery: str


def _recipients(users: Iterable[Any], category: str) -> list[_Recipient]:
    unique: dict[int, Any] = {}
    for user in users:
        if user is not None and user.is_active and user.pk not in unique:
            unique[user.pk] = user
    if not unique:
        return []
    chosen = dict(
        NotificationPreference.objects.filter(user__in=list(unique), category=category).values_list(
            "user_id", "delivery"
        )
    )
    return [
        _Recipient(
            user=user,
            language=user.language or settings.LANGUAGE_CODE,
            delivery=chosen.get(pk, DEFAULT_DELIVERY),
        )
        for pk, user in unique.items()
    ]


def notify(
    *,
    users: Iterable[Any],
    category: str,
    template: str | None = None,
    context: dict[str, Any] | None = None,
    render: Render | None = None,
    url: str = "",
    partner=None,
    attachments: Iterable[tuple[str, str, str]] = (),
    channels: bool = True,
    always_email: bool = False,
) -> list[Notification]:
    """Tell each user (once, even if listed twice) about an event, in their own language.

    The message is `template` (with `context`, plus `portal_url`, the link as seen from an email)
    or `render`, a callable returning the subject and body in the active language, to which the
    link is appended. Notifications are written in the caller's transaction; emails
    and channel posts go out once it commits. A partner's event reaches channels routed for that
    partner and team-wide channels; `channels=False` keeps it out of them (a second batch of
    recipients for the same event, or a message meant for one side only). A security notice
    passes `always_email=True`: it is emailed whatever each recipient chose for its category.
    """
    link_in_body = render is None
    if render is None:
        if template is None:
            raise ValueError("notify() needs a template or a render callable")
        render = template_render(template, {**(context or {}), "portal_url": absolute_url(url)})
    notifications: list[Notification] = []
    emails: list[tuple[str, str, str]] = []
    for recipient in _recipients(users, category):
        with translation.override(recipient.language):
            subject, body = render()
        delivery = Delivery.EMAIL if always_email else recipient.delivery
        notifications.append(
            Notification(
                recipient=recipient.user,
                category=category,
                title=subject[:255],
                url=url,
                partner=partner,
                delivery=delivery,
            )
        )
        if delivery == Delivery.EMAIL and recipient.user.email:
            if url and not link_in_body:
                with translation.override(recipient.language):
                    open_it = _("Open it in the portal:")
                    body = f"{body.rstrip()}\n\n{open_it} {absolute_url(url)}\n"
            emails.append((subject, body, recipient.user.email))
    Notification.objects.bulk_create(notifications)
    attachments = list(attachments)
    if emails:
        transaction.on_commit(lambda: _send_emails(emails, attachments))
    if channels:
        _webhooks_queue(category=category, partner=partner, render=render, url=url)
    return notifications


@dataclass(frozen=True)
class Message:
    """One message of a batch: `template` rendered with `context` for each of `users`."""

    users: Sequence[Any]
    template: str
    context: dict[str, Any]
    url: str = ""
    partner: Any = None


def notify_many(*, messages: Iterable[Message], category: str) -> list[Notification]:
    """`notify` for many messages at once (a nightly job telling each partner its own news):
    the same notifications, emails and channel posts, in a fixed number of queries whatever
    the number of messages."""
    messages = list(messages)
    recipients = {
        r.user.pk: r for r in _recipients([u for m in messages for u in m.users], category)
    }
    notifications: list[Notification] = []
    emails: list[tuple[str, str, str]] = []
    renders: list[tuple[Message, Render]] = []
    for message in messages:
        render = template_render(
            message.template, {**message.context, "portal_url": absolute_url(message.url)}
        )
        renders.append((message, render))
        told: set[int] = set()
        for user in message.users:
            recipient = recipients.get(getattr(user, "pk", None))
            if recipient is None or user.pk in told:
                continue
            told.add(user.pk)
            with translation.override(recipient.language):
                subject, body = render()
            notifications.append(
                Notification(
                    recipient=recipient.user,
                    category=category,
                    title=subject[:255],
                    url=message.url,
                    partner=message.partner,
                    delivery=recipient.delivery,
                )
            )
            if recipient.delivery == Delivery.EMAIL and recipient.user.email:
                emails.append((subject, body, recipient.user.email))
    Notification.objects.bulk_create(notifications)
    if emails:
        transaction.on_commit(lambda: _send_emails(emails, []))
    _webhooks_queue_many(category=category, renders=renders)
    return notifications


def _webhooks_queue_many(*, category: str, renders: list[tuple[Message, Render]]) -> None:
    if not renders:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if category in endpoint.categories
    ]
    deliveries = []
    for message, render in renders:
        partner_id = getattr(message.partner, "pk", None)
        for endpoint in endpoints:
            if endpoint.partner_id is not None and endpoint.partner_id != partner_id:
                continue
            with translation.override(endpoint.language):
                subject, _body = render()
            deliveries.append(
                WebhookDelivery(endpoint=endpoint, category=category, text=subject, url=message.url)
            )
    if not deliveries:
        return
    WebhookDelivery.objects.bulk_create(deliveries)

    from .tasks import webhook_deliver_task

    for delivery in deliveries:
        enqueue_on_commit(webhook_deliver_task, delivery.pk)


def _send_emails(emails: list[tuple[str, str, str]], attachments) -> None:
    from django.core.mail import EmailMessage

    for subject, body, address in emails:
        if attachments:
            message = EmailMessage(subject, body, None, [address])
            for filename, content, mimetype in attachments:
                message.attach(filename, content, mimetype)
            message.send()
        else:
            send_mail(subject, body, None, [address])


# Reading


def notification_list(*, user, unread_only: bool = False):
    return _rows_of(user.pk, unread=unread_only)


def _rows_of(user: int, *, unread: bool):
    rows = Notification.objects.filter(recipient_id=user)
    return rows.unread() if unread else rows


def _unread_of(user: int):
    return (
        Notification.objects.filter(recipient_id=user, read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    )


# The navigation bar's badge asks every minute in every open page: compiled once.
_UNREAD_OF = PreparedQuery(_unread_of, "user")


def unread_count(*, user) -> int:
    """How many of `user`'s notifications are unread."""
    rows = _UNREAD_OF(user=user.pk)
    return rows[0][0] if rows else 0


def _counts_of(user: int):
    return (
        Notification.objects.filter(recipient_id=user)
        .order_by()
        .values("recipient_id")
        .annotate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
        .values_list("total", "unread")
    )


_COUNTS_OF = PreparedQuery(_counts_of, "user")


def notification_counts(*, user) -> tuple[int, int]:
    """How many notifications `user` has, and how many of them are unread: one query, compiled
    once."""
    rows = _COUNTS_OF(user=user.pk)
    return rows[0] if rows else (0, 0)


# The notification centre's pages, all and unread only, compiled once.
_PAGES_OF = {
    unread: (
        PreparedQuery(functools.partial(_rows_of, unread=unread), "user"),
        PreparedQuery(lambda user, unread=unread: counted(_rows_of(user, unread=unread)), "user"),
    )
    for unread in (False, True)
}


def notification_pages(*, user, unread_only: bool = False) -> PreparedPages:
    """`notification_list(user=user, unread_only=unread_only)` for a Paginator: its pages and
    its count read by queries compiled once."""
    rows, count = _PAGES_OF[unread_only]
    return PreparedPages(rows, count, {"user": user.pk})


def notification_mark_read(*, user, pk: int | None = None, ids=None) -> int:
    """Mark one notification, the listed ones, or all of the user's read; another user's ids
    change nothing. Returns how many were unread."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


# Preferences


def preferences_get(*, user) -> dict[str, str]:
    chosen = dict(
        NotificationPreference.objects.filter(user=user).values_list("category", "delivery")
    )
    return {category: chosen.get(category, DEFAULT_DELIVERY) for category in Category.values}


@transaction.atomic
def preferences_set(*, user, choices: dict[str, str]) -> None:
    for category, delivery in choices.items():
        if category not in Category.values or delivery not in Delivery.values:
            raise ValueError(f"unknown category or delivery: {category}={delivery}")
        NotificationPreference.objects.update_or_create(
            user=user, category=category, defaults={"delivery": delivery}
        )


# Daily digest


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Email each user one digest of the notifications they chose to receive that way and have
    not had yet; each notification goes in one digest only. Returns the number of emails."""
    now = now or timezone.now()
    user_model = get_user_model()
    pending = Notification.objects.filter(delivery=Delivery.DIGEST, digested_at__isnull=True)
    sent = 0
    for user in user_model.objects.filter(
        pk__in=pending.values("recipient_id"), is_active=True
    ).exclude(email=""):
        with transaction.atomic():
            rows = list(
                pending.select_for_update(skip_locked=True)
                .filter(recipient=user)
                .order_by("created_at", "id")
            )
            if not rows:
                continue
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(digested_at=now)
            with translation.override(user.language or settings.LANGUAGE_CODE):
                context = {
                    "user": user,
                    "rows": [(row, absolute_url(row.url)) for row in rows],
                    "portal_url": absolute_url("/notifications/"),
                }
                subject, body = render_message("notifications/email/digest", context)
            transaction.on_commit(
                lambda s=subject, b=body, e=user.email: send_mail(s, b, None, [e])
            )
            sent += 1
    return sent


# Team channels


def _webhooks_queue(*, category: str, partner, render: Render, url: str) -> None:
    endpoints = WebhookEndpoint.objects.filter(is_active=True).filter(
        Q(partner__isnull=True) | Q(partner=partner)
        if partner is not None
        else Q(partner__isnull=True)
    )
    deliveries = []
    for endpoint in endpoints:
        if category not in endpoint.categories:
            continue
        with translation.override(endpoint.language):
            subject, _body = render()
        deliveries.append(
            WebhookDelivery(endpoint=endpoint, category=category, text=subject, url=url)
        )
    if not deliveries:
        return
    WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]

    from .tasks import webhook_deliver_task

    for pk in ids:
        enqueue_on_commit(webhook_deliver_task, pk)


def _slack_escape(text: str) -> str:
    """Slack's control characters; without this a title could mention @channel or hide a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKDOWN = re.compile(r"([\\`*_\[\]()#|<>~])")


def _markdown_escape(text: str) -> str:
    """Teams renders card text as Markdown: show the characters, never their formatting."""
    return _MARKDOWN.sub(r"\\\1", text)


def webhook_payload(*, kind: str, text: str, url: str) -> dict[str, Any]:
    link = absolute_url(url)
    if kind == WebhookEndpoint.Kind.SLACK:
        text = _slack_escape(text)
        return {"text": f"<{link}|{text}>" if link else text}
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": text,
        "text": _markdown_escape(text),
    }
    if link:
        card["potentialAction"] = [
            {
                "@type": "OpenUri",
                "name": _("Open in the portal"),
                "targets": [{"os": "default", "uri": link}],
            }
        ]
    return card


MAX_WEBHOOK_ATTEMPTS = 8


def webhook_deliveries_sweep(*, now: dt.datetime | None = None) -> int:
    """Queue again the deliveries that never reached the worker or ran out of retries while the
    channel was down, up to MAX_WEBHOOK_ATTEMPTS tries each."""
    from .tasks import webhook_deliver_task

    now = now or timezone.now()
    stale = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED],
        attempts__lt=MAX_WEBHOOK_ATTEMPTS,
        created_at__lt=now - dt.timedelta(minutes=10),
    ).values_list("pk", flat=True)
    count = 0
    for pk in stale:
        webhook_deliver_task.delay(pk)
        count += 1
    return count


class WebhookError(Exception):
    pass


def webhook_deliver(*, delivery_id: int) -> bool:
    """Post one delivery; True once the channel accepted it. A failure is recorded and raised
    so the task retries it later; a delivery already sent is not posted again, and while one
    worker posts it (holding its row lock) another skips it."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return False
        if delivery.status == WebhookDelivery.Status.SENT:
            return True
        endpoint = delivery.endpoint
        attempts = delivery.attempts + 1
        try:
            _post(endpoint, delivery)
        except WebhookError as exc:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                attempts=attempts,
                last_error=str(exc)[:500],
                status=WebhookDelivery.Status.FAILED,
            )
            error = exc
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                attempts=attempts,
                last_error="",
                status=WebhookDelivery.Status.SENT,
                sent_at=timezone.now(),
            )
            return True
    raise error


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> None:
    if not endpoint.url.startswith(("https://", "http://")):
        raise WebhookError(f"not an http(s) address: {endpoint.url}")
    with translation.override(endpoint.language):
        payload = webhook_payload(kind=endpoint.kind, text=delivery.text, url=delivery.url)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        endpoint.url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            response.read()
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise WebhookError(str(exc)) from exc
