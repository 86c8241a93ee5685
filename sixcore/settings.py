"""Django settings for sixcore, read from the environment.

- ``DATABASE_URL``: any URL dj-database-url understands; default a SQLite file under ``$SIXCORE_HOME``.
- ``SIXCORE_HOME``: folder for the SQLite file and the generated secret key (default ``./var``).
- ``SECRET_KEY``: if unset, generated once into ``$SIXCORE_HOME/secret_key`` (never committed).
- ``DEBUG``: off unless set to 1/true/yes.
- ``ALLOWED_HOSTS``: comma-separated; default local addresses only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("SIXCORE_HOME", "var")).resolve()


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = HOME / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    HOME.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Created with owner-only permissions: the key signs sessions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_flag("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "sixcore.core",
    "sixcore.accounts",
    "sixcore.plan",
    "sixcore.progress",
    "sixcore.supplies",
    "sixcore.evaluation",
    "sixcore.api",
    "sixcore.revisions",
    "sixcore.followups",
    "sixcore.coordination",
    "sixcore.annual",
    "sixcore.fieldwork",
    "sixcore.reports",
    "sixcore.search",
    "sixcore.workbench",
    "sixcore.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sixcore.core.changelog.ChangeLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees failed logins from every view (django-axes: lockout after repeated failures).
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours locked out after too many failures
# Lock the username from the address that failed: an attacker elsewhere cannot lock an officer out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of the app servers that append to X-Forwarded-For (0: trust no header). The
# lockout's address is the client's, not the proxy's (accounts/client_ip.py, docs/OPERATIONS.md).
SIXCORE_PROXY_COUNT = int(os.environ.get("SIXCORE_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "sixcore.accounts.client_ip.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "plan:overview"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bounded: an absurd ?limit= must be a page, not an SQL overflow (sixcore/api/pagination.py).
    "DEFAULT_PAGINATION_CLASS": "sixcore.api.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 200,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "sixcore API",
    "DESCRIPTION": "六大核心戰略產業推動方案 管考系統 — the plan (read), the quarterly cycle and the year-end evaluation (within the caller's scope).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the drf-spectacular-sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with different choices: name each set once, for the schema
    # and for `check --deploy` (which generates the schema too).
    "ENUM_NAME_OVERRIDES": {
        "SubmissionStatusEnum": "sixcore.progress.choices.SubmissionStatus",
        "WorkItemStatusEnum": "sixcore.progress.choices.WorkItemStatus",
        "PeriodStateEnum": "sixcore.progress.choices.PeriodState",
        "BudgetUnitEnum": "sixcore.progress.choices.BudgetUnit",
        "VerificationStatusEnum": "sixcore.fieldwork.choices.VerificationStatus",
        "VerifiedItemKindEnum": "sixcore.fieldwork.choices.ItemKind",
        "SelectionReasonEnum": "sixcore.fieldwork.choices.Reason",
        "FollowUpSourceEnum": "sixcore.followups.choices.FollowUpSource",
        "FollowUpStatusEnum": "sixcore.followups.choices.FollowUpStatus",
        "FollowUpRulingKindEnum": "sixcore.followups.choices.RulingKind",
        "AnnualStageEnum": "sixcore.annual.choices.Stage",
        "AnnualScoreStageEnum": "sixcore.annual.choices.ScoreStage",
        "ScoringRuleEnum": "sixcore.annual.choices.ScoringRule",
    },
}

# Background work (the PDF report) on Django's Tasks framework; the queue is a database table, worked by
# `sixcore db_worker` (make run starts one; deploy/sixcore-worker.service in deployments).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MEDIA_ROOT = Path(os.environ.get("SIXCORE_MEDIA_ROOT", HOME / "media"))
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sixcore@localhost")
NDC_NOTIFY_EMAIL = os.environ.get("NDC_NOTIFY_EMAIL", "ndc-sixcore@localhost")

ROOT_URLCONF = "sixcore.urls"
WSGI_APPLICATION = "sixcore.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "sixcore.workbench.menu.menu",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # An empty DATABASE_URL means the default, as an unset one does.
        os.environ.get("DATABASE_URL") or f"sqlite:///{HOME / 'sixcore.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    HOME.mkdir(parents=True, exist_ok=True)
    # WAL lets readers proceed while a load or import writes; the timeout waits out short write locks.
    # IMMEDIATE: a transaction takes the write lock when it begins, waiting up to the timeout. With the
    # default (deferred) a transaction that read first and then writes fails at once with "database is
    # locked" when another wrote meanwhile: concurrent saves answered 500 (tests/test_live_concurrency.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The users work in zh-TW: no negotiation from the browser's Accept-Language (a headless or English
# browser would otherwise switch the whole interface to the English msgids).
LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Each process's own memory: nothing in it may outlive a write another server makes (no page or data
# cache; see docs/ARCHITECTURE.md). A deployment that wants shared caching configures Redis/Memcached here.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Django's database sessions: every app server reads the same rows, so a logout is seen everywhere.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 8  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Production profile (SIXCORE_PROFILE=production): HTTPS only, strict cookies, HSTS, CSP. ---
# `sixcore check --deploy` must report nothing with this profile (tests/test_deploy.py).
PROFILE = os.environ.get("SIXCORE_PROFILE", "development")
CONTENT_SECURITY_POLICY = {
    # Swagger UI (drf-spectacular-sidecar) runs an inline bootstrap script: its page is exempt.
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # ECharts and the timeline set inline style attributes; scripts stay 'self' only.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
if PROFILE == "production":
    if DEBUG:
        raise RuntimeError("DEBUG must be off with SIXCORE_PROFILE=production")
    INSTALLED_APPS.append("csp")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware"
    )
    SECURE_SSL_REDIRECT = _env_flag("SECURE_SSL_REDIRECT", True)
    # TLS ends at the reverse proxy, which must set X-Forwarded-Proto (see docs/OPERATIONS.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "INFO")

# Fault injection for tests/test_fault.py (a request that hangs inside its write transaction until the
# test kills the server): a test server only, never production.
if os.environ.get("SIXCORE_FAULT_INJECT"):
    if PROFILE == "production":
        raise RuntimeError("SIXCORE_FAULT_INJECT is for test servers, not SIXCORE_PROFILE=production")
    MIDDLEWARE.insert(0, "sixcore.core.faults.FaultInjectionMiddleware")
