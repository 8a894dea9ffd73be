"""docker-compose.yml, the Dockerfile, the README and .ci/run agree with each other."""

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_worker_beat_postgres_and_redis_with_health_checks():
    services = _compose()["services"]
    assert set(services) == {
        "migrate", "proxy", "web", "worker", "beat", "db", "redis", "cache",
    }  # fmt: skip
    for name, service in services.items():
        if name == "migrate":
            continue
        assert "healthcheck" in service, name
        assert service["healthcheck"]["test"], name
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "gunicorn prm.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A prm worker")
    assert services["beat"]["command"].startswith("celery -A prm beat")


def test_compose_app_services_use_postgres_and_redis_and_wait_for_them():
    services = _compose()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["REDIS_CACHE_URL"].startswith("redis://cache:6379")
        assert env["DJANGO_SETTINGS_MODULE"] == "prm.settings.production"
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == depends["redis"]["condition"] == "service_healthy"
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_scales_web_and_workers_behind_one_proxy_with_one_beat():
    """`docker compose up --scale web=2 --scale worker=2`: no replica binds a host port or
    migrates; the proxy alone publishes the port and spreads requests over every replica."""
    compose = _compose()
    services = compose["services"]
    assert "ports" not in services["web"]
    assert "ports" not in services["worker"]
    assert "migrate" not in services["web"]["command"]
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services["proxy"]["ports"] == ["8000:8000"]
    proxy_conf = compose["configs"]["proxy"]["content"]
    assert "server web:8000 resolve" in proxy_conf
    assert "resolver 127.0.0.11" in proxy_conf
    assert "proxy_set_header X-Forwarded-Proto $$scheme" in proxy_conf
    for name in ("beat", "migrate", "db", "redis", "cache"):
        assert "deploy" not in services[name], name


def test_compose_web_and_workers_share_the_uploads():
    services = _compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        assert "media:/app/var/media" in services[name]["volumes"], name
    assert "mkdir -p /app/var/media" in (ROOT / "Dockerfile").read_text()


def test_compose_broker_never_evicts_and_the_cache_may():
    services = _compose()["services"]
    assert "--maxmemory-policy noeviction" in services["redis"]["command"]
    assert "--appendonly yes" in services["redis"]["command"]
    assert "--maxmemory-policy allkeys-lru" in services["cache"]["command"]


def test_compose_workers_consume_every_queue_the_tasks_are_routed_to():
    from django.conf import settings

    from prm.celery import app

    command = _compose()["services"]["worker"]["command"]
    default = re.search(r"-Q \$\{CELERY_WORKER_QUEUES:-([\w,]+)\}", command).group(1)
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert set(default.split(",")) == queues == {
        "celery", "imports", "recompute", "email", "webhooks",
    }  # fmt: skip
    expected = {
        "commissions.tasks.sales_import_task": "imports",
        "commissions.tasks.sales_imports_sweep_task": "imports",
        "commissions.tasks.payments_import_run_task": "imports",
        "funds.tasks.purchases_import_task": "imports",
        "funds.tasks.purchases_imports_sweep_task": "imports",
        "commissions.tasks.recompute_requests_sweep_task": "recompute",
        "commissions.tasks.open_periods_recompute_task": "recompute",
        "prm.core.tasks.send_email_task": "email",
        "prm.notifications.tasks.webhook_deliver_task": "webhooks",
        "prm.notifications.tasks.webhook_deliveries_sweep_task": "webhooks",
        "disputes.tasks.case_breaches_escalate_task": "celery",
        "partners.tasks.review_reminders_send_task": "celery",
    }
    app.loader.import_default_modules()
    for task, queue in expected.items():
        assert task in app.tasks, task
        route = app.amqp.router.route({}, task)
        assert route["queue"].name == queue, task


def test_dockerfile_serves_with_gunicorn_as_an_unprivileged_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert "USER prm" in dockerfile
    assert '"gunicorn", "prm.wsgi:application"' in dockerfile


def test_readme_commands_are_the_ones_ci_and_scripts_use():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bin/demo" in readme
    assert "bin/test" in readme
    assert re.search(r"^bin/test\b", ci, re.MULTILINE), (
        ".ci/run must call the README's test command"
    )
    assert "pytest" in (ROOT / "bin" / "test").read_text()


def test_readme_lists_every_environment_variable_the_settings_read():
    settings_text = "".join(p.read_text() for p in (ROOT / "prm" / "settings").glob("*.py"))
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_text))
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"environment variables missing from the README table: {missing}"


def test_bin_scripts_are_valid_bash():
    for script in ("bin/setup", "bin/demo", "bin/test", ".ci/run"):
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "prm.settings.production",
        "DJANGO_SECRET_KEY": "k" * 20 + "-production-like-secret-" + "z" * 30,
        "DJANGO_ALLOWED_HOSTS": "prm.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_embedded_database_migrates_from_scratch_with_every_trigger(tmp_path):
    """SQLite rebuilds a table to alter it, dropping the triggers that name it: after `migrate`
    on a fresh file, the sales rollup triggers (invoiced and paid) and every history trigger must be
    in place."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    script = (
        "from django.db import connection\n"
        "from prm.core.history import history_triggers_missing\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute(\"SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'commissions_sale' ORDER BY name\")\n"
        "    print(','.join(name for (name,) in cursor.fetchall()))\n"
        "print(','.join(history_triggers_missing(connection)) or 'complete')\n"
    )
    result = subprocess.run(
        [*manage, "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    sale_triggers, missing = result.stdout.split()[-2:]
    assert sale_triggers.split(",") == [
        "commissions_sale_paid_rollup_delete",
        "commissions_sale_paid_rollup_insert",
        "commissions_sale_paid_rollup_update",
        "commissions_sale_rollup_delete",
        "commissions_sale_rollup_insert",
        "commissions_sale_rollup_update",
    ]
    assert missing == "complete", result.stdout
