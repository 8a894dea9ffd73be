import os

import pytest
from django.db import connection


@pytest.mark.skipif(
    os.environ.get("PRM_REQUIRE_SERVICES") != "1", reason="only CI requires PostgreSQL"
)
def test_ci_runs_the_suite_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_health_endpoint_reports_database(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
