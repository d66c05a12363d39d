"""Test settings: the product's settings plus speed knobs, on a throwaway PostgreSQL.

When PostgreSQL's binaries are on the machine the whole session runs on a cluster started
here on a free loopback port (stopped at exit); otherwise on a SQLite file, and the tests
marked ``postgres`` skip — or fail with CI=true (conftest.py).
"""

import atexit
import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + ORM + Playwright (RECIPES)

from postpay_portal.settings import *  # noqa: E402,F401,F403
from postpay_portal.settings import database_from_url, env_bool  # noqa: E402
from tests.servers import PostgresServer  # noqa: E402

TEST_TMP = tempfile.mkdtemp(prefix="postpay-tests-")
POSTGRES = None
if os.environ.get("POSTPAY_TEST_DB", "postgres") == "postgres" and PostgresServer.available():
    POSTGRES = PostgresServer().start()
    atexit.register(POSTGRES.stop)
    DATABASES = {"default": database_from_url(POSTGRES.url)}
else:
    DATABASES = {"default": database_from_url(f"sqlite:///{TEST_TMP}/db.sqlite3")}
    DATABASES["default"]["TEST"] = {"NAME": f"{TEST_TMP}/test_db.sqlite3"}

# Speed knobs only.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# In-process tests run a task inline when they execute the on_commit callbacks they
# captured; the worker tests switch this off and use a real worker process.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = True
# The suite signs operators in with a password alone (CONTRACT §3 while it is 0); the R45
# tests switch the second factor on with the ``settings`` fixture.
POSTPAY_REQUIRE_2FA = env_bool("POSTPAY_REQUIRE_2FA", False)
