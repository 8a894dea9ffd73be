"""The embedded demo: SQLite, filesystem broker, console email."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="demo-only-insecure-key-change-me-0123456789abcdefghij"
)
PRM_MFA_REQUIRED_FOR_STAFF = env.bool("PRM_MFA_REQUIRED_FOR_STAFF", default=False)

# The daily sweeps and the hourly commitments run are idempotent: in the demo they run every five
# minutes, so reminders, milestones, digests, pulse invitations and commitment misses arrive from
# the worker while you watch. A copy: the base module's schedule stays as it is.
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE}  # noqa: F405
for _name in (
    "agreement-reminders",
    "deal-expiry-warnings",
    "review-reminders",
    "announcement-reminders",
    "milestones",
    "certificate-reminders",
    "workshop-reminders",
    "fund-deadlines",
    "notification-digests",
    "pulse-messages",
    "commitments-measure",
    "health-snapshots",
):
    CELERY_BEAT_SCHEDULE[_name] = {**CELERY_BEAT_SCHEDULE[_name], "schedule": 300.0}
