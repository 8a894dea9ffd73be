"""`python -m tests.clock_worker -A prm worker …` (the arguments of `celery`): the project's
Celery worker, in its own process, whose Django clock starts at PRM_TEST_NOW (an ISO date and
time with its offset) and runs on from there, and whose Redis keys all begin with
PRM_TEST_BROKER_PREFIX.

The clock lets a test send the nightly and daily tasks on the day it chooses (the quarter's
reminder due, last month's review missed) whatever the calendar says; the prefix keeps the
worker's queues apart from any other run on the same Redis while it serves the project's own
queue names."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time


def _clock_set(start: dt.datetime) -> None:
    """Every `timezone.now()` (and so `timezone.localdate()`) reads `start` plus the time since."""
    from django.utils import timezone

    began = time.monotonic()
    timezone.now = lambda: start + dt.timedelta(seconds=time.monotonic() - began)


def main() -> None:
    _clock_set(dt.datetime.fromisoformat(os.environ["PRM_TEST_NOW"]).astimezone(dt.UTC))
    from prm.celery import app

    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        "global_keyprefix": os.environ["PRM_TEST_BROKER_PREFIX"],
    }
    from celery.bin.celery import main as celery

    sys.argv = ["celery", *sys.argv[1:]]
    sys.exit(celery())


if __name__ == "__main__":
    main()
