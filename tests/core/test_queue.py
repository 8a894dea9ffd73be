"""A broker outage never breaks the request that queues work: the work waits in the database
for a sweep, and email goes out at once instead (spec: Reliability)."""

import time

import pytest
from django.core import mail

from prm.core.queue import enqueue
from prm.core.tasks import send_email_task


def test_enqueue_fails_fast_and_calls_back(broker_down):
    failures = []
    started = time.monotonic()
    assert enqueue(send_email_task, {}, on_failure=lambda: failures.append(1)) is False
    assert failures == [1]
    assert time.monotonic() - started < 10


@pytest.mark.django_db
def test_email_is_sent_at_once_when_the_broker_is_down(
    broker_down, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "prm.core.mail.CeleryEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        mail.send_mail("Statement approved", "Ready.", None, ["finance@a.test"])
    assert [m.subject for m in mail.outbox] == ["Statement approved"]
