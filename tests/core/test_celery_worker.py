"""A real Celery worker, in its own process, consumes a task sent through a real broker.

On Redis (what production and CI use) and on the filesystem transport (the embedded default of
the demo). The task is the email sender: the worker writes the message with Django's file
backend and the test reads it back.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery

from prm.core.mail import message_to_dict

pytestmark = pytest.mark.celery_worker

REDIS_URL = os.environ.get("PRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("PRM_REQUIRE_SERVICES") == "1":
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def _start_worker(env: dict, queue: str, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "prm",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "-Q",
        queue,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"test-{queue}@%h",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait_for_mail(folder: Path, timeout: float = 60) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for p in folder.glob("*.log") if p.stat().st_size]
        if files:
            return files
        time.sleep(0.2)
    return []


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_email_task_runs_on_a_real_worker(tmp_path, broker):
    queue = f"prm-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "PRM_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    if broker == "redis":
        _redis_or_skip()
        env["CELERY_BROKER_URL"] = REDIS_URL
        producer = Celery("producer", broker=REDIS_URL, set_as_current=False)
    else:
        env["CELERY_BROKER_URL"] = "filesystem://"
        env["CELERY_FILESYSTEM_DIR"] = str(tmp_path / "broker")
        producer = Celery("producer", broker="filesystem://", set_as_current=False)
        producer.conf.broker_transport_options = {
            "data_folder_in": str(tmp_path / "broker" / "queue"),
            "data_folder_out": str(tmp_path / "broker" / "queue"),
            "control_folder": str(tmp_path / "broker" / "control"),
        }
        (tmp_path / "broker" / "queue").mkdir(parents=True)

    from django.core.mail import EmailMessage

    message = EmailMessage(
        subject="Statement approved",
        body="Your October statement is ready.",
        from_email="no-reply@prm.example",
        to=["finance@partner.example"],
    )
    log = tmp_path / "worker.log"
    worker = _start_worker(env, queue, log)
    try:
        producer.send_task(
            "prm.core.tasks.send_email_task", args=[message_to_dict(message)], queue=queue
        )
        files = _wait_for_mail(mail_dir)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert files, f"the worker sent nothing; its log:\n{log.read_text()}"
    sent = files[0].read_text()
    assert "Subject: Statement approved" in sent
    assert "To: finance@partner.example" in sent
    assert "succeeded" in log.read_text()
    assert not (ROOT / "control").exists(), "the filesystem broker wrote into the project root"
