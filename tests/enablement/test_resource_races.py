"""Two first requests of one reader to the library at once (two tabs) record one visit and
neither fails. PostgreSQL, 20 times, each repetition with a reader of its own."""

import itertools

import pytest

from enablement.resource_models import ResourceVisit
from enablement.resource_services import resource_visit_record
from tests.factories import UserFactory
from tests.parallel import POSTGRESQL, committed, run_parallel  # noqa: F401 (fixture)

pytestmark = POSTGRESQL
_numbers = itertools.count(1)


@pytest.mark.reliability("concurrency", "two first visits to the resource library at once")
@pytest.mark.parametrize("attempt", range(20))
def test_two_first_visits_at_once_record_one_visit(committed, attempt):  # noqa: F811
    user = UserFactory(email=f"reader{next(_numbers)}@race.test")
    outcome = run_parallel(
        lambda: resource_visit_record(user=user),
        lambda: resource_visit_record(user=user),
    )
    assert outcome.errors == []
    assert ResourceVisit.objects.filter(user=user).count() == 1
    # Whichever came second belongs to the same visit: nothing was seen before it.
    assert outcome.results == [None, None]
