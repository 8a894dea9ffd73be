"""Test settings: fast hashing, eager Celery (a real worker has its own test), in-memory mail."""

from .base import *  # noqa: F403
from .base import STORAGES, env

SECRET_KEY = "test-only-key-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A real worker started by a test (tests/faults) queues its follow-up work through the broker.
CELERY_TASK_ALWAYS_EAGER = env.bool("PRM_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
PRM_EMAIL_BACKEND = env(
    "PRM_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend"
)
PRM_MFA_REQUIRED_FOR_STAFF = False
# Tests sign in with force_login; re-authentication before money actions has its own tests.
PRM_REAUTHENTICATION_FOR_PAYOUTS = False
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ACCOUNT_RATE_LIMITS = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
