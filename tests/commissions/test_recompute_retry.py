"""A recompute that loses its database mid-run is retried by its task, which takes back its own
claim on the request (spec, "Faults": PostgreSQL restarted while a recompute runs)."""

from decimal import Decimal
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from commissions.models import RecomputeRequest
from commissions.services import recompute as recompute_services
from commissions.services.recompute import recompute_request_run
from commissions.tasks import recompute_request_run_task

from .builders import load, plan, program, sale, statement

pytestmark = pytest.mark.django_db
NET_5 = {"priority": 10, "line": "NET", "kind": "percent", "rate": "5"}


@pytest.fixture
def request_row():
    load(program(commission_plans=[plan(NET_5)]))
    RecomputeRequest.objects.all().delete()
    sale("P-ACME", "SW-24", "2026-10-10", "30000.00")
    return RecomputeRequest.objects.create(period="2026-10", reason="test")


def test_a_retry_takes_back_its_own_claim_and_nobody_else_s(request_row):
    claim = timezone.now()
    RecomputeRequest.objects.filter(pk=request_row.pk).update(status="running", started_at=claim)

    other = timezone.now()
    assert (
        recompute_request_run(request_id=request_row.pk, started_at=other, take_back=True) is None
    )
    # The same start time without take_back (a sweep at the same instant) is not a claim.
    assert recompute_request_run(request_id=request_row.pk, started_at=claim) is None
    assert recompute_request_run(request_id=request_row.pk) is None
    done = recompute_request_run(request_id=request_row.pk, started_at=claim, take_back=True)

    assert done.status == "done"
    assert statement("P-ACME", "2026-10").total == Decimal("1500.00")


def test_the_task_retries_after_the_database_went_away_and_the_request_ends_done(request_row):
    real = recompute_services.recompute
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(**kwargs)

    with mock.patch.object(recompute_services, "recompute", side_effect=flaky):
        # Eagerly, as a worker would: the retry runs at once instead of after its countdown.
        recompute_request_run_task.apply(args=[request_row.pk], throw=False)

    request_row.refresh_from_db()
    assert len(calls) == 2, "the task did not retry"
    assert request_row.status == "done"
    assert statement("P-ACME", "2026-10").total == Decimal("1500.00")
