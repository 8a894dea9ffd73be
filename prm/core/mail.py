"""An email backend that hands each message to Celery; the worker sends it via PRM_EMAIL_BACKEND."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .queue import enqueue_on_commit


def message_to_dict(message: EmailMessage) -> dict[str, Any]:
    data: dict[str, Any] = {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [],
        "attachments": [],
    }
    for content, mimetype in getattr(message, "alternatives", []) or []:
        data["alternatives"].append([str(content), mimetype])
    for attachment in message.attachments:
        if not isinstance(attachment, tuple | list):
            continue
        filename, content, mimetype = attachment[0], attachment[1], attachment[2]
        if isinstance(content, bytes):
            # Binary files (a statement PDF) travel through the broker as base64 text.
            encoded = base64.b64encode(content).decode("ascii")
            data["attachments"].append([filename, encoded, mimetype, "base64"])
        else:
            data["attachments"].append([filename, str(content), mimetype])
    return data


def message_from_dict(data: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype, *encoding in data["attachments"]:
        if encoding == ["base64"]:
            content = base64.b64decode(content)
        message.attach(filename, content, mimetype)
    return message


class CeleryEmailBackend(BaseEmailBackend):
    """Queue each message as a task once the surrounding transaction commits."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from .tasks import send_email_task

        payloads = [message_to_dict(message) for message in email_messages]
        for payload in payloads:
            enqueue_on_commit(
                send_email_task, payload, on_failure=lambda payload=payload: _send_now(payload)
            )
        return len(payloads)


def _send_now(payload: dict[str, Any]) -> None:
    """The broker is down: send through the real backend in this process rather than lose it."""
    connection = get_connection(settings.PRM_EMAIL_BACKEND)
    connection.send_messages([message_from_dict(payload)])


def render_message(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """`<template>_subject.txt` (on one line) and `_body.txt`, in the active language."""
    subject = render_to_string(f"{template}_subject.txt", context)
    body = render_to_string(f"{template}_body.txt", context)
    return " ".join(subject.split()), body


def email_address(*, email: str, language: str, template: str, context: dict[str, Any]) -> None:
    """Queue a rendered message to an address that may have no account yet (an invitation)."""

    def send() -> None:
        with translation.override(language):
            subject, body = render_message(template, context)
        send_mail(subject, body, None, [email])

    transaction.on_commit(send)
