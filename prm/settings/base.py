"""Settings shared by every environment; values that differ come from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "template_partials",
    "csp",
    # project
    "prm.core",
    "prm.accounts",
    "prm.notifications",
    "partners",
    "agreements",
    "commissions",
    "disputes",
    "enablement",
    "funds",
    "engagement",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "prm.core.middleware.QueryStringGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "prm.core.history.HistoryActorMiddleware",
    "prm.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "prm.accounts.middleware.UserLanguageMiddleware",
    "partners.middleware.CurrentPartnerMiddleware",
    "prm.accounts.middleware.StaffMFARequiredMiddleware",
]

# Django's form templates, with selects and inputs written out in Python
# (prm/core/form_renderer.py).
FORM_RENDERER = "prm.core.form_renderer.WidgetRenderer"

ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

TEMPLATES = [
    {
        # Django's, with `{% translate %}` of a constant text written once per language.
        "BACKEND": "prm.core.template_i18n.DjangoTemplates",
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "prm.core.context_processors.navigation",
            ],
        },
    }
]

# Database: SQLite is the embedded default; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The demo runs web, worker and beat against one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Reports (the case reporting page) read from a PostgreSQL read replica when one is given;
# everything else, and every write, uses the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
PRM_REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email is the login, verified before first use, rate limited, no enumeration.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
}
ACCOUNT_ADAPTER = "partners.signup.AccountAdapter"
ACCOUNT_SIGNUP_OPEN = env.bool("PRM_SIGNUP_OPEN", default=False)
# Approving or paying a statement asks for the password (or second factor) again when the last
# sign-in or confirmation is older than this many seconds.
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("PRM_REAUTHENTICATION_SECONDS", default=300)
PRM_REAUTHENTICATION_FOR_PAYOUTS = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PRM Portal"
# Vendor staff must enrol TOTP before any vendor page when this is on.
PRM_MFA_REQUIRED_FOR_STAFF = env.bool("PRM_MFA_REQUIRED_FOR_STAFF", default=True)

# Sessions end after this much inactivity, and at the latest this long after sign-in.
PRM_SESSION_IDLE_MINUTES = env.int("PRM_SESSION_IDLE_MINUTES", default=30)
PRM_SESSION_MAX_HOURS = env.int("PRM_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = PRM_SESSION_MAX_HOURS * 60 * 60
# API tokens expire this many days after they are created.
PRM_API_TOKEN_DAYS = env.int("PRM_API_TOKEN_DAYS", default=90)

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

# Internationalisation
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Asia/Taipei")

# Static files, served by whitenoise; everything is vendored, nothing from a CDN.
STATIC_URL = "/static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The portal's public address, for links in emails, digests, calendar invitations and channels.
PRM_SITE_URL = env("PRM_SITE_URL", default="http://localhost:8000")

# Sales imports reject invoice dates further than this from today (five years back, a month on).
PRM_IMPORT_MAX_PAST_DAYS = env.int("PRM_IMPORT_MAX_PAST_DAYS", default=1826)
PRM_IMPORT_MAX_FUTURE_DAYS = env.int("PRM_IMPORT_MAX_FUTURE_DAYS", default=31)
# PostgreSQL: the memory a connection's first import gives its temporary tables (temp_buffers,
# kept by the connection until it closes); the staged file and its checked rows stay in memory
# rather than going through the 8MB default to disk.
PRM_IMPORT_TEMP_BUFFERS = env("PRM_IMPORT_TEMP_BUFFERS", default="256MB")

# Email: every message is handed to Celery, which sends it through PRM_EMAIL_BACKEND.
EMAIL_BACKEND = "prm.core.mail.CeleryEmailBackend"
PRM_EMAIL_BACKEND = env(
    "PRM_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="PRM Portal <no-reply@prm.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: with no broker configured the embedded default is the filesystem transport, so the
# demo still runs a real worker and beat without Redis.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # A task whose worker died unacknowledged is delivered again after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
# The filesystem transport has no host; kombu warns about that on every connection.
_KOMBU_CONNECTION_LEVEL = "ERROR" if CELERY_BROKER_URL.startswith("filesystem://") else "WARNING"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Work goes to a queue by kind, so that each kind can get workers of its own in production
# (README, "Production shape"). A worker started without -Q consumes every queue listed here.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name) for name in ("celery", "imports", "recompute", "email", "webhooks")
]
CELERY_TASK_ROUTES = {
    "commissions.tasks.sales_import*": {"queue": "imports"},
    "commissions.tasks.payments_import*": {"queue": "imports"},
    "funds.tasks.purchases_import*": {"queue": "imports"},
    "commissions.tasks.*recompute*": {"queue": "recompute"},
    "prm.core.tasks.send_email_task": {"queue": "email"},
    "prm.notifications.tasks.webhook_*": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# Queued work (recompute requests, import batches) that no worker picked up after the grace is
# run by the beat sweeps; work running longer than the timeout is taken to have lost its worker.
PRM_WORK_PICKUP_GRACE_SECONDS = env.int("PRM_WORK_PICKUP_GRACE_SECONDS", default=120)
PRM_WORK_RUNNING_TIMEOUT_SECONDS = env.int("PRM_WORK_RUNNING_TIMEOUT_SECONDS", default=30 * 60)
# A full recompute of more partners than this is spread over the workers, a task per batch of
# this many partners (0: always in one task).
PRM_RECOMPUTE_BATCH_PARTNERS = env.int("PRM_RECOMPUTE_BATCH_PARTNERS", default=500)
CELERY_BEAT_SCHEDULE = {
    "recompute-sweep": {
        "task": "commissions.tasks.recompute_requests_sweep_task",
        "schedule": 120.0,
    },
    "sales-imports-sweep": {
        "task": "commissions.tasks.sales_imports_sweep_task",
        "schedule": 300.0,
    },
    "purchases-imports-sweep": {
        "task": "funds.tasks.purchases_imports_sweep_task",
        "schedule": 300.0,
    },
    "recompute-open-periods": {
        "task": "commissions.tasks.open_periods_recompute_task",
        "schedule": crontab(hour=1, minute=30),
    },
    "agreement-reminders": {
        "task": "agreements.tasks.agreement_reminders_send_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "clear-expired-sessions": {
        "task": "prm.core.tasks.clear_expired_sessions_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "deal-protections-expire": {
        "task": "partners.tasks.deal_protections_expire_task",
        "schedule": crontab(hour=0, minute=30),
    },
    "deal-expiry-warnings": {
        "task": "partners.tasks.deal_expiry_warnings_send_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "case-breaches-escalate": {
        "task": "disputes.tasks.case_breaches_escalate_task",
        "schedule": 300.0,
    },
    "review-reminders": {
        "task": "partners.tasks.review_reminders_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "announcement-reminders": {
        "task": "partners.tasks.announcement_reminders_send_task",
        "schedule": crontab(hour=7, minute=30),
    },
    "milestones": {
        "task": "partners.tasks.milestones_check_task",
        "schedule": crontab(hour=5, minute=0),
    },
    "tiers-evaluate": {
        "task": "enablement.tasks.tiers_evaluate_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "webhook-deliveries-sweep": {
        "task": "prm.notifications.tasks.webhook_deliveries_sweep_task",
        "schedule": crontab(minute=20),
    },
    "certificate-reminders": {
        "task": "enablement.tasks.certificate_reminders_task",
        "schedule": crontab(hour=6, minute=30),
    },
    "workshop-reminders": {
        "task": "enablement.tasks.workshop_reminders_task",
        "schedule": crontab(hour=6, minute=45),
    },
    "fund-deadlines": {
        "task": "funds.tasks.fund_deadlines_task",
        "schedule": crontab(hour=6, minute=15),
    },
    "price-protection-deadlines": {
        "task": "funds.tasks.protection_deadlines_task",
        "schedule": crontab(hour=6, minute=20),
    },
    "pulse-messages": {
        "task": "engagement.tasks.pulse_messages_send_task",
        "schedule": crontab(hour=8, minute=15),
    },
    "notification-digests": {
        "task": "prm.notifications.tasks.digests_send_task",
        "schedule": crontab(hour=7, minute=45),
    },
    # Hourly, so a miss reaches the vendor admins within the hour its deadline passes.
    "commitments-measure": {
        "task": "engagement.tasks.commitments_measure_task",
        "schedule": crontab(minute=35),
    },
    "health-snapshots": {
        "task": "engagement.tasks.health_snapshots_task",
        "schedule": crontab(hour=2, minute=45),
    },
}

# REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prm.accounts.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "2000/hour"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM Portal API",
    "DESCRIPTION": "Partner relationship management: partners, pricing, payouts, deals, cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Fund requests and price-protection claims are both approved or rejected: one enum.
    "ENUM_NAME_OVERRIDES": {"ApproveOrRejectEnum": ["approve", "reject"]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "prm.core.schema.error_responses_add",
    ],
}

# Content-Security-Policy (django-csp 4): same-origin assets only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "kombu.connection": {"level": _KOMBU_CONNECTION_LEVEL},
        # Certificate PDFs: WeasyPrint logs each rendering step and fontTools each font subset.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Sign-in failures, password and second-factor changes, API token changes.
        "prm.security": {"level": "INFO"},
    },
}

# Vendor-side totals across partners (dashboards, reports) are shown in this currency, each
# partner currency converted at the latest exchange rate on or before the day.
PRM_REPORTING_CURRENCY = env("PRM_REPORTING_CURRENCY", default="TWD")
