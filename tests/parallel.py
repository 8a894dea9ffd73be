"""Running one action from many threads at once, each on its own database connection.

The concurrency proof needs PostgreSQL's row locks (SQLite serialises whole transactions). On
SQLite these tests are skipped, unless `PRM_REQUIRE_SERVICES=1` (CI), where they fail instead: a
proof that silently did not run is no proof.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import setup_databases, teardown_databases

from prm.core.errors import DomainError

WAIT = 20  # seconds; only reached when something is broken


REASON = "needs PostgreSQL row locks and real concurrent connections (set DATABASE_URL)"
REQUIRED = os.environ.get("PRM_REQUIRE_SERVICES") == "1"
# Skipped at collection on SQLite, before any database is set up; `require_postgresql` makes
# the test fail instead when the services are required.
POSTGRESQL = pytest.mark.skipif(connection.vendor != "postgresql" and not REQUIRED, reason=REASON)


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.fail(REASON)


@dataclass
class Outcome:
    results: list = field(default_factory=list)
    refused: list[DomainError] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def run_parallel(*actions: Callable[[], object]) -> Outcome:
    """Start every action in its own thread, released together by a barrier; a DomainError is a
    refusal the user would read, anything else an error."""
    outcome = Outcome()
    barrier = threading.Barrier(len(actions))
    lock = threading.Lock()

    def run(action):
        try:
            barrier.wait(WAIT)
            result = action()
        except DomainError as exc:
            with lock:
                outcome.refused.append(exc)
        except BaseException as exc:
            with lock:
                outcome.errors.append(exc)
        else:
            with lock:
                outcome.results.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,), daemon=True) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a thread is still running"
    return outcome


@pytest.fixture(scope="module")
def committed(django_db_setup, django_db_blocker):
    """Database access for a module of races whose data is committed (the threads must see it)
    and set up once, each repetition on its own fresh rows; the database is emptied at the end.
    One flush per module rather than one per repetition keeps 20 repetitions fast."""
    with django_db_blocker.unblock():
        require_postgresql()
        # pytest-django creates the test database only for tests that ask for `db` (or carry the
        # django_db mark); a run of race modules alone asks for none, so they create it here.
        created = None
        if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"})
        try:
            yield
        finally:
            call_command("flush", interactive=False, verbosity=0)
            if created is not None:
                teardown_databases(created, verbosity=0)
