"""The embedded demo: SQLite, filesystem broker, console email."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY", default="demo-only-insecure-key-change-me-0123456789abcdefghij"
)
PRM_MFA_REQUIRED_FOR_STAFF = env.bool("PRM_MFA_REQUIRED_FOR_STAFF", default=False)
