"""An email backend that hands each message to Celery; the worker sends it via PRM_EMAIL_BACKEND."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction


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
        if isinstance(attachment, tuple | list) and not isinstance(attachment[1], bytes):
            data["attachments"].append([attachment[0], str(attachment[1]), attachment[2]])
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
    for filename, content, mimetype in data["attachments"]:
        message.attach(filename, content, mimetype)
    return message


class CeleryEmailBackend(BaseEmailBackend):
    """Queue each message as a task once the surrounding transaction commits."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from .tasks import send_email_task

        payloads = [message_to_dict(message) for message in email_messages]
        for payload in payloads:
            transaction.on_commit(lambda payload=payload: send_email_task.delay(payload))
        return len(payloads)
