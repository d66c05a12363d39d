"""Fixtures of the operations tests (R35): gunicorn processes on the test database."""

import os

import pytest

from tests.servers import database_url_for_workers
from tests.support.web import METRICS_TOKEN, WebProcess


@pytest.fixture
def web_processes(transactional_db, tmp_path):
    """``start(n)`` → n gunicorn processes on the test database, production settings
    (``DJANGO_DEBUG=0``: JSON logs), tasks run inline in the process that enqueues them.
    Stopped before the test database is flushed."""
    started = []

    def start(n=1, **extra_env):
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"}},
            "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
            "DATABASE_URL": database_url_for_workers(),
            "DJANGO_SECRET_KEY": "ops-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "POSTPAY_VAR_DIR": str(tmp_path / "var"),
            "CELERY_BROKER_URL": "memory://",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "METRICS_TOKEN": METRICS_TOKEN,
            # Mail stays in memory: the console backend would print mails between log lines.
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            **extra_env,
        }
        processes = []
        for _ in range(n):
            process = WebProcess(env, tmp_path / f"web-{len(started)}.log").start()
            started.append(process)
            processes.append(process)
        return processes

    yield start
    for process in started:
        process.stop()
