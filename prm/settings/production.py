"""Production: secrets and hosts from the environment, HTTPS only, MFA for vendor staff."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# Only for a local docker compose stack served over plain http: never set it behind real TLS.
_LOCAL_HTTP = env.bool("DJANGO_INSECURE_LOCAL_HTTP", default=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = not _LOCAL_HTTP
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = not _LOCAL_HTTP
CSRF_COOKIE_SECURE = not _LOCAL_HTTP
LANGUAGE_COOKIE_SECURE = not _LOCAL_HTTP
SESSION_COOKIE_SAMESITE = "Lax"
PRM_MFA_REQUIRED_FOR_STAFF = env.bool("PRM_MFA_REQUIRED_FOR_STAFF", default=True)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_CACHE_URL", default="redis://127.0.0.1:6379/1"),
    }
}
PRM_EMAIL_BACKEND = env("PRM_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# Sessions are written to PostgreSQL and read through the cache: a page costs no session query
# while the session is in Redis (an evicted entry is read from the database again).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
