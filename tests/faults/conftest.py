"""Fixtures for the fault drills: a private Redis, real workers on it, and the test database's
address for them. PostgreSQL only (the workers share the test's database, which SQLite keeps in
memory); skipped without the services unless PRM_REQUIRE_SERVICES=1."""

from __future__ import annotations

import shutil

import pytest
from django.db import connection

from prm.celery import app

from .services import PrivateRedis, Worker, database_url, require


@pytest.fixture
def postgres(transactional_db) -> str:
    """The URL of the test database (its rows are committed: workers see them)."""
    require(connection.vendor == "postgresql", "the fault drills need PostgreSQL")
    return database_url(connection.settings_dict)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "mail").mkdir()
    return tmp_path


@pytest.fixture
def redis_server():
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


def point_app_at(url: str | None) -> None:
    """Send tasks from this process to the broker at `url` (None: back to eager)."""
    app.set_current()
    app.conf.task_always_eager = url is None
    if url is not None:
        app.conf.broker_url = url
    app._pool = None
    app.amqp.__dict__.pop("producer_pool", None)
    app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_server):
    """This process queues tasks on the private Redis instead of running them eagerly."""
    saved = app.conf.broker_url
    point_app_at(redis_server.url)
    yield redis_server
    app.conf.broker_url = saved
    point_app_at(None)


@pytest.fixture
def start_worker(folder):
    """`start_worker(name, broker_url, database_url)`: a real worker, stopped after the test."""
    started: list[Worker] = []

    def start(name: str, broker_url: str, database_url: str) -> Worker:
        worker = Worker(name=name, broker_url=broker_url, database_url=database_url, folder=folder)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
