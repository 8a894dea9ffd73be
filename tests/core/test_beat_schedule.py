"""Every entry of the beat schedule names a task the worker has."""

from django.conf import settings

from prm.celery import app


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    missing = [
        entry["task"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] not in app.tasks
    ]
    assert not missing, f"beat names tasks the worker does not have: {missing}"
    assert len(settings.CELERY_BEAT_SCHEDULE) >= 13
