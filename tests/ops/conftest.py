"""Real web processes for the operations tests (R35): gunicorn on the test database."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import database_url_for_workers
from tests.servers import ROOT, free_port, terminate, wait_for_port

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


class WebProcess:
    """One gunicorn process (one worker) serving the project on a free loopback port."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.proc = None

    def start(self):
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "postpay_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout=60)
        return self

    def stop(self):
        terminate(self.proc, timeout=20)
        self._log.close()

    def log_lines(self):
        return self.log_path.read_text(errors="replace").splitlines()

    def json_log(self):
        """Every log line, each parsed as the JSON object it must be (R35)."""
        return [json.loads(line) for line in self.log_lines() if line.strip()]

    def request(self, method, path, *, payload=None, headers=None):
        """``(status, headers, body text)``; never raises on an HTTP error status."""
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()


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


def wait_for(predicate, timeout=60, what="condition", log=lambda: ""):
    """Poll until ``predicate()`` is true; a hang guard, not a speed measure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{log()[-4000:]}")
