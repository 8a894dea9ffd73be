"""Approving a statement while it is being recomputed (spec, Reliability: "approving a statement
and recomputing it at the same time cannot lose either; nothing approved is ever changed"), and
many vendor admins pressing the same button at once.

PostgreSQL only: the guarantee rests on the row lock that both sides take, which SQLite does not
have (it serialises whole transactions instead). Each race runs 20 times."""

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection

from commissions.services import compute
from commissions.services import statements as statement_services
from commissions.services.compute import recompute
from commissions.services.statements import statement_approve
from prm.core.models import Event
from tests.factories import MembershipFactory, UserFactory
from tests.parallel import POSTGRESQL, require_postgresql

from .builders import lines, load, partner, plan, program, sale, statement

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL]
D = Decimal
WAIT = 10  # seconds; only reached when something is broken
RACES = range(20)


def _start(target, results: list, errors: list) -> threading.Thread:
    def run():
        try:
            results.append(target())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def draft(db):
    """P-ACME's computed October draft (30,000 at 5% = 1,500), then a new October sale that the
    next recompute will add (40,000 → 2,000). The partner's finance user follows payouts."""
    require_postgresql()
    load(
        program(
            commission_plans=[plan({"priority": 10, "line": "NET", "kind": "percent", "rate": "5"})]
        )
    )
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    recompute(month_label="2026-10")
    sale("P-ACME", "SW-24", "2026-10-11", "10000.00")
    MembershipFactory(
        user=UserFactory(email="finance@acme.test"), partner=partner("P-ACME"), role="finance"
    )
    return statement("P-ACME", "2026-10")


def _recompute_acme():
    return recompute(month_label="2026-10", partner_ids=[partner("P-ACME").pk])


def test_approval_waits_for_a_running_recompute_and_approves_its_result(draft, vendor_admin):
    computing, release = threading.Event(), threading.Event()
    real = compute.compute_statement

    def held(**kwargs):
        # the recompute holds the statement's row lock from here until it commits
        computing.set()
        assert release.wait(WAIT)
        return real(**kwargs)

    results, errors = [], []
    with mock.patch.object(compute, "compute_statement", held):
        recomputing = _start(_recompute_acme, results, errors)
        assert computing.wait(WAIT)
        approving = _start(
            lambda: statement_approve(statement=draft, actor=vendor_admin), results, errors
        )
        approving.join(0.5)
        blocked = approving.is_alive()
        release.set()
        recomputing.join(WAIT)
        approving.join(WAIT)

    assert errors == []
    assert blocked, "the approval did not wait for the recompute's row lock"
    draft.refresh_from_db()
    assert (draft.status, draft.total) == ("approved", D("2000.00"))
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 40,000.00 × 5% = 2,000.00", D("2000.00"))
    ]
    # what was approved is what the approval event saw
    assert Event.objects.get(verb="statement.approved").after["total"] == "2000.00"


def test_recompute_waits_for_a_running_approval_and_then_leaves_the_statement_alone(
    draft, vendor_admin
):
    approving_now, release = threading.Event(), threading.Event()
    real = statement_services.event_record

    def held(**kwargs):
        # the approval has saved the status and holds the row lock until it commits
        approving_now.set()
        assert release.wait(WAIT)
        return real(**kwargs)

    approvals, recomputes, errors = [], [], []
    with mock.patch.object(statement_services, "event_record", held):
        approving = _start(
            lambda: statement_approve(statement=draft, actor=vendor_admin), approvals, errors
        )
        assert approving_now.wait(WAIT)
        recomputing = _start(_recompute_acme, recomputes, errors)
        recomputing.join(0.5)
        blocked = recomputing.is_alive()
        release.set()
        approving.join(WAIT)
        recomputing.join(WAIT)

    assert errors == []
    assert blocked, "the recompute did not wait for the approval's row lock"
    assert (recomputes[0]["statements"], recomputes[0]["skipped"]) == (0, 1)
    draft.refresh_from_db()
    assert (draft.status, draft.total) == ("approved", D("1500.00"))
    assert lines("P-ACME", "2026-10") == [
        ("Networking, percent: 30,000.00 × 5% = 1,500.00", D("1500.00"))
    ]
