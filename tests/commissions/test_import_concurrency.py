"""Two imports at once (issue 11, the proof: "two imports of the same file at once → no
duplicate"). PostgreSQL only: real transactions on two connections, the unique external_id and
the row locks on original sales are what keep the imports apart."""

import threading

import pytest
from django.db import connection

from commissions.models import ImportBatch, Sale
from commissions.services.imports import sales_import

from .builders import csv_bytes, load, plan, program

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL transactions"),
]
WAIT = 60  # seconds; only reached when something is broken
SALES = 300
RETURNS = 50


def _at_once(*contents: bytes) -> list:
    """Run one import per content, each in its own thread and connection, started together."""
    barrier = threading.Barrier(len(contents))
    results: list = [None] * len(contents)
    errors: list = []

    def run(index: int, content: bytes) -> None:
        try:
            barrier.wait(WAIT)
            results[index] = sales_import(content=content, filename=f"f{index}.csv")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(contents)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not errors, errors
    assert all(not thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def channel(db):
    load(program(commission_plans=[plan({"priority": 10, "kind": "percent", "rate": "5"})]))


@pytest.mark.reliability("concurrency", "two imports of the same file at once")
@pytest.mark.parametrize("repeat", range(20))
def test_two_imports_of_the_same_file_at_once_store_each_row_once(channel, repeat):
    rows = [f"S-{n},P-ACME,SW-24,C {n},,,,2026-10-05,sale,2,200.00,TWD," for n in range(SALES)]
    rows += [
        f"R-{n},P-ACME,SW-24,C {n},,,,2026-10-09,return,2,200.00,TWD,S-{n}" for n in range(RETURNS)
    ]
    content = csv_bytes(*rows)

    results = _at_once(content, content)

    assert Sale.objects.count() == SALES + RETURNS
    assert Sale.objects.filter(kind="return").count() == RETURNS
    # Each row was created by exactly one of the two imports and counted a duplicate by the other.
    assert sum(r.created for r in results) == SALES + RETURNS
    for result in results:
        assert result.rejected == []
        assert result.created + result.duplicates == SALES + RETURNS
    assert set(ImportBatch.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.reliability("concurrency", "two imports returning the same sale at once")
@pytest.mark.parametrize("repeat", range(20))
def test_two_imports_returning_the_same_sale_at_once_never_exceed_it(channel, repeat):
    sales_import(
        content=csv_bytes("S-1,P-ACME,SW-24,C,,,,2026-10-05,sale,2,2000.00,TWD,"),
        filename="sale.csv",
    )
    first = csv_bytes("R-1,P-ACME,SW-24,C,,,,2026-10-09,return,2,2000.00,TWD,S-1")
    second = csv_bytes("R-2,P-ACME,SW-24,C,,,,2026-10-09,return,2,2000.00,TWD,S-1")

    results = _at_once(first, second)

    # Either return alone fits the sale; together they would take back twice what was sold.
    assert sorted((r.created, len(r.rejected)) for r in results) == [(0, 1), (1, 0)]
    assert Sale.objects.filter(kind="return").count() == 1
    rejected = next(r for r in results if r.rejected).rejected[0]
    assert rejected.reason == (
        "returns would exceed the original sale 'S-1' (still returnable: 0 units, 0.00)"
    )
