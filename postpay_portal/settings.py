"""One settings module, driven by the environment (CONTRACT §2).

The defaults are the embedded first run: SQLite and Celery's file-system broker under
``var/``, so that ``make run`` needs no server.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from postpay_portal.logs import configure_structlog, json_lines_from_env, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("POSTPAY_VAR_DIR", BASE_DIR / "var"))
VAR.mkdir(parents=True, exist_ok=True)


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key():
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0.")
    path = VAR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h.strip() for h in env_str("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "import_export",
    "django_prometheus",
    "django_structlog",
    "postpay_portal",
    "audit",
    "settings_app",
    "accounts",
    "manual_operations",
    "subscriptions",
    "events",
]

MIDDLEWARE = [
    # First and last: the HTTP request-duration histogram of /metrics (R35).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # An X-Request-ID for every request (kept from the caller or generated), echoed back.
    "postpay_portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # After authentication: binds request_id and user_id to every log line of the request.
    "django_structlog.middlewares.RequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "postpay_portal.urls"
WSGI_APPLICATION = "postpay_portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR / 'db.sqlite3'}")


POSTGRES_ENGINES = {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}


def database_from_url(url):
    """Parse DATABASE_URL; every SQLite URL gets the concurrency options of RECIPES.

    IMMEDIATE transactions take the write lock at BEGIN, so simultaneous writers queue
    (up to the timeout) instead of failing with "database is locked".

    Connections persist for ``DATABASE_CONN_MAX_AGE`` seconds (CONTRACT §2, default 60; 0
    reconnects every request), checked by Django's health check before each request reuses
    one. PostgreSQL connects within a bounded time, so that /readyz/ never hangs on a
    database host that does not answer.
    """
    config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["ENGINE"] = "postpay_portal.db_sqlite"  # writers of one process queue in it
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    elif config["ENGINE"] in POSTGRES_ENGINES:
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5))
    return config


DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Not a rule on the password: its password_changed() hook revokes the login's API tokens
    # whenever a password is changed, by any path (accounts/passwords.py).
    {"NAME": "accounts.passwords.RevokeApiTokensOnPasswordChange"},
]
LOGIN_URL = "/portal/login/"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/portal/login/"

# Failed-login lockout (django-axes): a login after AXES_FAILURE_LIMIT failures from one
# address, and an address after AXES_IP_FAILURE_LIMIT failures across usernames (password
# spraying); see postpay_portal/lockout.py. The address is the client's, as far as
# POSTPAY_TRUSTED_PROXY_COUNT proxies in front of the app vouch for it (X-Forwarded-For is
# never read when it is 0, the default): postpay_portal/client_ip.py.
POSTPAY_TRUSTED_PROXY_COUNT = env_int("POSTPAY_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "postpay_portal.client_ip.client_ip"
AXES_HANDLER = "postpay_portal.lockout.PostpayLockoutHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A locked-out login gets a page that says so (HTTP 429), never a 500 or a bare "forbidden".
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"

# --- Security -------------------------------------------------------------------------
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE_COOKIES else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_COOKIES
SECURE_HSTS_PRELOAD = SECURE_COOKIES
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The HTTP → HTTPS redirect belongs to the TLS-terminating proxy in front of gunicorn (and
# local runs are plain HTTP), so check --deploy's W008 is silenced on purpose unless Django
# is asked to redirect itself with DJANGO_SECURE_SSL_REDIRECT=1.
SILENCED_SYSTEM_CHECKS = [] if SECURE_SSL_REDIRECT else ["security.W008"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A body over 1 MiB is refused (SPEC R31).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- I18n / static --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# Dates and times as "2026-05-04 10:12" wherever a template does not name a format.
FORMAT_MODULE_PATH = ["postpay_portal.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail (R19): console in development ---------------------------------------------
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "postpay@localhost")
# Where people reach the portals: e-mails link to absolute URLs built on it (a mail client
# cannot open a bare path). Defaults to make run's server.
POSTPAY_BASE_URL = (env_str("POSTPAY_BASE_URL") or f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dirs = {
        "data_folder_in": VAR / "broker",
        "data_folder_out": VAR / "broker",
        "processed_folder": VAR / "broker-done",
        "control_folder": VAR / "broker-control",
    }
    for _folder in _broker_dirs.values():  # kombu does not create them (RECIPES)
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **{k: str(v) for k, v in _broker_dirs.items()},
        "store_processed": False,
        "polling_interval": env_float("CELERY_FILESYSTEM_POLLING_INTERVAL", 0.02),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Provisioning (R22): retries, the lease a delivery holds, and the sweep of orders left in
# `provisioning` (lost message, killed worker, broker down at approval).
PROVISIONER = env_str("POSTPAY_PROVISIONER", "subscriptions.provisioners.LocalProvisioner")
# The module's name before decision 119; an installation that named it keeps working.
PROVISIONER = PROVISIONER.replace("subscriptions.provisioning.", "subscriptions.provisioners.", 1)
PROVISIONING_MAX_RETRIES = env_int("PROVISIONING_MAX_RETRIES", 5)
PROVISIONING_RETRY_BACKOFF_SECONDS = env_float("PROVISIONING_RETRY_BACKOFF_SECONDS", 2.0)
PROVISIONING_MAX_ATTEMPTS = env_int("PROVISIONING_MAX_ATTEMPTS", 10)
PROVISIONING_LEASE_SECONDS = env_float("PROVISIONING_LEASE_SECONDS", 120)
PROVISIONING_SWEEP_AFTER_SECONDS = env_float("PROVISIONING_SWEEP_AFTER_SECONDS", 60)
PROVISIONING_SWEEP_INTERVAL_SECONDS = env_float("PROVISIONING_SWEEP_INTERVAL_SECONDS", 30)
# Readiness (R35, CONTRACT §3 /readyz/): beat schedules a heartbeat that any worker runs and
# records in the database, so every web process reads the same sign of life.
WORKER_HEARTBEAT_INTERVAL_SECONDS = env_float("WORKER_HEARTBEAT_INTERVAL_SECONDS", 15)
READYZ_WORKER_MAX_AGE_SECONDS = env_float("READYZ_WORKER_MAX_AGE_SECONDS", 60)
READYZ_BROKER_TIMEOUT_SECONDS = env_float("READYZ_BROKER_TIMEOUT_SECONDS", 2)

# Idempotency keys are remembered this long (CONTRACT §2), then purged by beat.
IDEMPOTENCY_TTL_HOURS = env_float("IDEMPOTENCY_TTL_HOURS", 24)
IDEMPOTENCY_PURGE_INTERVAL_SECONDS = env_float("IDEMPOTENCY_PURGE_INTERVAL_SECONDS", 3600)

# The orders' tally by status (the API's count) is folded into one row per status this often.
ORDER_TALLY_COMPACT_INTERVAL_SECONDS = env_float("ORDER_TALLY_COMPACT_INTERVAL_SECONDS", 60)

# Webhooks (R34, CONTRACT §2). Deliveries run on their own queue, so that a slow receiver
# never delays provisioning; the sweep re-sends deliveries left pending (lost message,
# killed worker). The lease outlasts an attempt, which the timeout bounds.
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 12)
WEBHOOK_LEASE_SECONDS = env_float("WEBHOOK_LEASE_SECONDS", 2 * WEBHOOK_TIMEOUT_SECONDS + 60)
WEBHOOK_SWEEP_AFTER_SECONDS = env_float("WEBHOOK_SWEEP_AFTER_SECONDS", 60)
WEBHOOK_SWEEP_INTERVAL_SECONDS = env_float("WEBHOOK_SWEEP_INTERVAL_SECONDS", 30)
CELERY_TASK_ROUTES = {
    "events.deliver_webhook": {"queue": "webhooks"},
    "events.sweep_webhook_deliveries": {"queue": "webhooks"},
}

CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-provisioning": {
        "task": "subscriptions.sweep_provisioning",
        "schedule": PROVISIONING_SWEEP_INTERVAL_SECONDS,
    },
    "worker-heartbeat": {
        "task": "postpay_portal.worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_INTERVAL_SECONDS,
        # A heartbeat nobody ran in time is stale: never let a backlog of them pile up.
        "options": {"expires": 2 * WORKER_HEARTBEAT_INTERVAL_SECONDS},
    },
    "purge-expired-idempotency-records": {
        "task": "postpay_portal.purge_idempotency_records",
        "schedule": IDEMPOTENCY_PURGE_INTERVAL_SECONDS,
    },
    "compact-order-tally": {
        "task": "subscriptions.compact_order_tally",
        "schedule": ORDER_TALLY_COMPACT_INTERVAL_SECONDS,
        "options": {"expires": ORDER_TALLY_COMPACT_INTERVAL_SECONDS},
    },
    "sweep-pending-webhook-deliveries": {
        "task": "events.sweep_webhook_deliveries",
        "schedule": WEBHOOK_SWEEP_INTERVAL_SECONDS,
    },
}

# Queue target for manual operations (R17): older operations are highlighted.
MANUAL_OPERATION_TARGET_HOURS = env_float("MANUAL_OPERATION_TARGET_HOURS", 24)

# R36c: importing accounts needs the permission to add them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# An upload waits for its confirmation in a folder of its own, under a name bound to the
# operator's login and session (postpay_portal/admin_import.py); abandoned ones are removed.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "postpay_portal.admin_import.SessionUploadStorage"
IMPORT_UPLOAD_DIR = Path(env_str("IMPORT_UPLOAD_DIR") or VAR / "imports")
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
IMPORT_UPLOAD_MAX_AGE_SECONDS = env_int("IMPORT_UPLOAD_MAX_AGE_SECONDS", 3600)

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "postpay_portal.api.authentication.LoggedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON in and out (CONTRACT §4); the parser refuses a body over 1 MiB (R31).
    "DEFAULT_PARSER_CLASSES": ["postpay_portal.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "postpay_portal.api.pagination.ApiPagination",
    "EXCEPTION_HANDLER": "postpay_portal.api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Postpay Portal API",
    "DESCRIPTION": (
        "JSON API for integrators. Authenticate with `POST /api/v1/auth/token/` and send "
        '`Authorization: Token <token>`. Errors are `{"code", "detail", "fields"?}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "subscriptions.models.OrderStatus",
        "PostpayPermissionEnum": "accounts.models.PostpayPermission",
        "OperationStatusEnum": "manual_operations.models.OperationStatus",
        "EventTypeEnum": "events.models.EventType",
        "WebhookDeliveryStatusEnum": "events.models.DeliveryStatus",
    },
    # The API docs read without the rule references of the code's docstrings.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "postpay_portal.api.schema.strip_rule_references",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Metrics (R35, CONTRACT §3 /metrics) -------------------------------------------------
# Loopback answers without credentials; anyone else needs this bearer token (unset: 403).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Logs (R35): one JSON object a line in production, readable text under make run -----
# The request id comes from a valid incoming X-Request-ID (else it is generated) and is
# returned in the response's X-Request-ID; tasks inherit it and add their task id.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_CELERY_ENABLED = False  # its receivers are connected in apps.py and celery.py
LOGGING = logging_config(json_lines=json_lines_from_env(), level=env_str("DJANGO_LOG_LEVEL", "INFO"))
configure_structlog()
