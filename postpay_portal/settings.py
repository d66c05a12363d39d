"""One settings module, driven by the environment (CONTRACT §2).

The defaults are the embedded first run: SQLite and Celery's file-system broker under
``var/``, so that ``make run`` needs no server.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from postpay_portal.ids import MAX_ID
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


def env_networks(name):
    """Comma-separated CIDRs (``10.0.0.0/8,2001:db8::/32``; a bare address is one host)."""
    networks = [item.strip() for item in env_str(name).split(",") if item.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {network!r} is not a network (e.g. 10.0.0.0/8).")
    return networks


def env_fernet_keys(name):
    """Comma-separated Fernet keys, checked here so that a bad one stops the app at start."""
    from cryptography.fernet import Fernet

    keys = [item.strip() for item in env_str(name).split(",") if item.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ImproperlyConfigured(f"{name}: key {position} is not a Fernet key (32 url-safe base64 bytes).")
    return keys


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
# Secrets kept at rest (webhook signing secrets), encrypted with the first of these Fernet
# keys, decrypted with any (CONTRACT §2); unset: a key derived from SECRET_KEY
# (postpay_portal/encryption.py).
POSTPAY_ENCRYPTION_KEYS = env_fernet_keys("POSTPAY_ENCRYPTION_KEYS")
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
    # API tokens stored as digests (R46): knox's code, the project's model (KNOX_TOKEN_MODEL).
    "knox",
    # The operator portal's second factor (R45): TOTP devices, single-use backup codes, and
    # two_factor's enrolment wizard with its QR code.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
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
    # An X-Request-ID for every request (kept from a trusted proxy or generated), echoed back.
    "postpay_portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: request.user.is_verified() says whether a second factor was passed.
    "django_otp.middleware.OTPMiddleware",
    # R45: a decider who signed in with a password alone reaches no operator page.
    "postpay_portal.second_factor.SecondFactorMiddleware",
    # Operator-portal sessions end after POSTPAY_STAFF_SESSION_IDLE_HOURS without a request.
    "postpay_portal.staff_sessions.StaffSessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # An admin action's selection keeps only values that can be ids (R31): never a 500.
    "postpay_portal.middleware.AdminSelectionMiddleware",
    # After authentication: binds request_id, user_id and the client's ip to every log line
    # of the request (django-structlog's, with the address of postpay_portal/client_ip.py).
    "postpay_portal.middleware.RequestLogMiddleware",
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

# R45 (CONTRACT §2): staff logins with the decide permission, superusers included, pass a TOTP
# second factor in the operator portal and send ``otp`` for an API token. ``make run`` sets 0.
POSTPAY_REQUIRE_2FA = env_bool("POSTPAY_REQUIRE_2FA", True)
# /admin/login/ stays Django's own form (CONTRACT §3); two_factor must not replace it.
TWO_FACTOR_PATCH_ADMIN = False
OTP_TOTP_ISSUER = "Postpay Portal"
# Backup codes and TOTP devices are reset by a superuser only, and their secrets never shown.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# R46 (CONTRACT §2): API tokens live this long after they were issued; only their digest is
# stored (knox, with the project's token model that adds a client name and "last used").
API_TOKEN_TTL_HOURS = env_float("API_TOKEN_TTL_HOURS", 720)
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own table is swapped out for that model: its migrations would only create it empty.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}
# "Last used" is written at most this often per token, not on every request.
API_TOKEN_LAST_USED_EVERY_SECONDS = env_float("API_TOKEN_LAST_USED_EVERY_SECONDS", 60)

# The client's address (postpay_portal/client_ip.py): X-Forwarded-For is read only when the
# request's immediate peer is in one of these networks (comma-separated CIDRs of the proxies
# in front of the app); empty, the default, never reads it.
POSTPAY_TRUSTED_PROXIES = env_networks("POSTPAY_TRUSTED_PROXIES")
if env_str("POSTPAY_TRUSTED_PROXY_COUNT").strip() not in ("", "0"):
    # A count trusted whatever peer sent the header; failing loudly beats silently logging
    # and locking out by the proxy's address after an upgrade.
    raise ImproperlyConfigured(
        "POSTPAY_TRUSTED_PROXY_COUNT was replaced by POSTPAY_TRUSTED_PROXIES: set it to the networks of the "
        "proxies in front of the app (e.g. POSTPAY_TRUSTED_PROXIES=10.0.0.0/8) and unset the old variable."
    )

# Failed logins (django-axes, postpay_portal/lockout.py): after AXES_FAILURE_LIMIT failures
# of one login from one address, that login waits before its next try from there — one
# minute, doubled by each further failure, up to AXES_COOLOFF_MINUTES. Nothing locks an
# address for everyone. Failures are forgotten a day after the last one.
AXES_CLIENT_IP_CALLABLE = "postpay_portal.client_ip.client_ip"
AXES_HANDLER = "postpay_portal.lockout.PostpayLockoutHandler"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(hours=24)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the wait is refused uncounted: it neither lengthens the wait nor is checked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# A login that must wait gets a page that says for how long (HTTP 429, Retry-After).
AXES_LOCKOUT_CALLABLE = "postpay_portal.lockout.lockout_response"
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

# Sessions: a staff login's ends after this many hours without a request (a working day; it
# is refreshed while used, postpay_portal/staff_sessions.py); a customer's keeps Django's
# two weeks (SESSION_COOKIE_AGE).
POSTPAY_STAFF_SESSION_IDLE_HOURS = env_float("POSTPAY_STAFF_SESSION_IDLE_HOURS", 8)

# Content-Security-Policy (django-csp 4.0): scripts and styles only from this site's own
# files — no inline script, no eval, no <style> element or style attribute — in both
# portals, the Django admin and /api/docs/ (Swagger UI's init script is a file of its own,
# SpectacularSwaggerSplitView). tests/browser/test_content_security_policy.py loads them all.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

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

# --- Money ----------------------------------------------------------------------------
# ISO 4217 code of every price (CONTRACT §2): shown beside each price in both portals and
# e-mails (``subscriptions.money``), and as ``currency`` on plans and orders in the API.
POSTPAY_CURRENCY = env_str("POSTPAY_CURRENCY", "USD").strip().upper() or "USD"
if not (len(POSTPAY_CURRENCY) == 3 and POSTPAY_CURRENCY.isascii() and POSTPAY_CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"POSTPAY_CURRENCY must be an ISO 4217 code of three letters, not {POSTPAY_CURRENCY!r}.")

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
# A previous signing secret is erased once its 24 h are over: when a delivery finds it
# expired, and by this periodic task for endpoints that send nothing.
WEBHOOK_SECRET_PURGE_INTERVAL_SECONDS = env_float("WEBHOOK_SECRET_PURGE_INTERVAL_SECONDS", 600)
CELERY_TASK_ROUTES = {
    "events.deliver_webhook": {"queue": "webhooks"},
    "events.sweep_webhook_deliveries": {"queue": "webhooks"},
    "events.forget_expired_webhook_secrets": {"queue": "webhooks"},
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
    "purge-expired-api-tokens": {
        "task": "accounts.purge_expired_api_tokens",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    "forget-expired-webhook-secrets": {
        "task": "events.forget_expired_webhook_secrets",
        "schedule": WEBHOOK_SECRET_PURGE_INTERVAL_SECONDS,
        "options": {"expires": WEBHOOK_SECRET_PURGE_INTERVAL_SECONDS},
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

# --- Cache: the API's throttle counters (never the database) ---------------------------
# Local memory by default (one process: make run); CACHE_URL=redis://host:port/1 shares the
# counters between gunicorn workers and hosts (docker-compose.yml).
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "postpay"}}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "postpay_portal.api.authentication.LoggedTokenAuthentication",
        "postpay_portal.api.authentication.SecondFactorSessionAuthentication",
    ],
    # CONTRACT §4: 429 ``throttled`` never before 30 token requests a minute per username or
    # 600 per address, nor 1,200 other writes a minute per login or 12,000 per address.
    "DEFAULT_THROTTLE_CLASSES": [
        "postpay_portal.api.throttling.WritePerLoginThrottle",
        "postpay_portal.api.throttling.WritePerAddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token_per_username": env_str("API_THROTTLE_TOKEN_PER_USERNAME", "30/min"),
        "token_per_address": env_str("API_THROTTLE_TOKEN_PER_ADDRESS", "600/min"),
        "write_per_login": env_str("API_THROTTLE_WRITE_PER_LOGIN", "1200/min"),
        "write_per_address": env_str("API_THROTTLE_WRITE_PER_ADDRESS", "12000/min"),
    },
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
    # ``<id:pk>`` (postpay_portal/ids.py): the range every path id must be in (R31).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation may answer 429 ``throttled`` (CONTRACT §4); the API docs read without the
    # rule references of the code's docstrings.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "postpay_portal.api.schema.declare_throttled",
        "postpay_portal.api.schema.strip_rule_references",
    ],
}

# --- Metrics (R35, CONTRACT §3 /metrics) -------------------------------------------------
# Loopback answers without credentials; anyone else needs this bearer token (unset: 403).
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Logs (R35): one JSON object a line in production, readable text under make run -----
# The request id comes from a valid X-Request-ID sent by a trusted proxy (else it is
# generated: postpay_portal.middleware.RequestIdMiddleware, which this setting then trusts)
# and is returned in the response's X-Request-ID; tasks inherit it and add their task id.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
DJANGO_STRUCTLOG_CELERY_ENABLED = False  # its receivers are connected in apps.py and celery.py
LOGGING = logging_config(json_lines=json_lines_from_env(), level=env_str("DJANGO_LOG_LEVEL", "INFO"))
configure_structlog()
