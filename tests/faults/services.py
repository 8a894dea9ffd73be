"""Private services for the fault drills: a Redis and a PostgreSQL cluster of the test's own, on
free ports, that a test may stop, start and restart without touching the shared ones, and real
Celery workers in their own processes. Everything started here is stopped at exit, even when a
test fails."""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """PRM_PG_BIN, else the newest Debian PostgreSQL's programs (initdb is not on PATH there)."""
    if os.environ.get("PRM_PG_BIN"):
        return Path(os.environ["PRM_PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return found[-1].parent if found else Path(shutil.which("initdb") or "initdb").parent


PG_BIN = _pg_bin()

_running: list[subprocess.Popen] = []


def _stop_all() -> None:
    for process in _running:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


atexit.register(_stop_all)


def require(condition: bool, reason: str) -> None:
    """Skip without the service, or fail when CI says every service must be there."""
    if condition:
        return
    if os.environ.get("PRM_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def database_url(settings_dict: dict, name: str | None = None) -> str:
    """The address of a Django database (`name` instead of its own), for another process."""
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name or settings_dict['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, every: float = 0.05, what=""):
    """Poll until `condition()` is truthy; return its value, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class PrivateRedis:
    """A redis-server on a free port that keeps nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _running.append(self.process)
        wait_for(self.ping, timeout=10, what=f"redis on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False


def _as_postgres(*command: str) -> list[str]:
    """Run as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder), on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="prm-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        self.options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        atexit.register(self.remove)

    @staticmethod
    def available() -> bool:
        if not (PG_BIN / "initdb").exists():
            return False
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return False
            return shutil.which("runuser") is not None
        return True

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                self.options,
                "-l",
                str(self.folder / "server.log"),
                "-w",
                *args,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def init(self) -> None:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Worker:
    """`celery -A prm worker --pool=solo` in its own process, on the given broker and database,
    with short pickup and running timeouts so that a sweep takes over a dead worker's work."""

    def __init__(
        self,
        *,
        name: str,
        broker_url: str,
        database_url: str,
        folder: Path,
        module: str = "celery",
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.module = module
        self.log = folder / f"worker-{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "prm.settings.test",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "PRM_CELERY_EAGER": "false",
            "PRM_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder / "mail"),
            "PRM_WORK_PICKUP_GRACE_SECONDS": "0",
            "PRM_WORK_RUNNING_TIMEOUT_SECONDS": "2",
            "CELERY_VISIBILITY_TIMEOUT": "5",
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        command = [
            sys.executable,
            "-m",
            self.module,
            "-A",
            "prm",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"fault-{self.name}-{os.getpid()}@%h",
        ]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        _running.append(self.process)
        wait_for(
            lambda: " ready." in self.output() or self.process.poll() is not None,
            timeout=60,
            what=f"worker {self.name} to start",
        )
        assert self.process.poll() is None, f"worker {self.name} died:\n{self.output()}"
        return self

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, as when a machine loses power."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def sent_mail(folder: Path) -> list[str]:
    """The subject and recipients of each message the file email backend wrote."""
    messages = []
    for path in sorted((folder / "mail").glob("*.log")):
        for message in path.read_text(errors="replace").split("-" * 79):
            headers = [
                line for line in message.splitlines() if line.startswith(("Subject: ", "To: "))
            ]
            if headers:
                messages.append(" | ".join(headers))
    return messages
