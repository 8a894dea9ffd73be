"""Handing work to Celery without letting a broker outage break the request that caused it.

Every piece of queued work is first written to the database (a recompute request, an import
batch, a webhook delivery), so a task that cannot be queued is only late: a beat sweep picks it
up once the broker is back. Email has no such row; when the broker cannot take a message, it is
sent at once instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

# Fail fast when the broker is down: one quick retry, not a stalled request.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def enqueue(task, *args: Any, on_failure: Callable[[], None] | None = None) -> bool:
    """Queue `task(*args)` now; True when the broker took it. On failure, log it and call
    `on_failure` (if given) instead of raising."""
    try:
        task.apply_async(args=args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        logger.warning("Could not queue %s%r; it will be picked up later", task.name, args)
        if on_failure is not None:
            on_failure()
        return False
    return True


def enqueue_on_commit(task, *args: Any, on_failure: Callable[[], None] | None = None) -> None:
    """Queue `task(*args)` once the surrounding transaction commits (see `enqueue`)."""
    transaction.on_commit(lambda: enqueue(task, *args, on_failure=on_failure))
