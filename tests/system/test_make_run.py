"""CONTRACT §1: `make run`'s script on the embedded default (SQLite + file-system broker):
it migrates, ensures the superuser, seeds, serves on 127.0.0.1:$PORT, provisions through
its own worker, and one SIGINT stops the web server, the worker and the scheduler."""

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.worker


def _get(url):
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, response.read()


def _runs_with(pid, tmp_path):
    try:
        return f"POSTPAY_VAR_DIR={tmp_path}/var".encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def test_make_run_serves_and_provisions_on_the_embedded_default(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SECRET_KEY",
            "DJANGO_DEBUG",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        PORT=str(port),
        POSTPAY_VAR_DIR=str(tmp_path / "var"),
        DJANGO_SUPERUSER_USERNAME="root",
        DJANGO_SUPERUSER_PASSWORD="root-pass-123",
        PROVISIONING_SWEEP_INTERVAL_SECONDS="1",
    )
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / "bin" / "run")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz/")
            except OSError:
                time.sleep(0.3)
        assert status == 200 and json.loads(body) == {"status": "ok"}

        db = tmp_path / "var" / "db.sqlite3"
        assert db.exists()
        query = (
            "SELECT o.status FROM subscriptions_order o JOIN accounts_account a ON a.id = o.account_id "
            "JOIN subscriptions_plan p ON p.id = o.plan_id WHERE a.name = 'Initech' AND p.name = 'Cloud Flex'"
        )
        completed = False
        while time.monotonic() < deadline and not completed:
            with sqlite3.connect(db, timeout=5) as conn:
                completed = conn.execute(query).fetchone() == ("completed",)
            time.sleep(0.2)
        assert completed, (tmp_path / "run.log").read_text()[-3000:]
        with sqlite3.connect(db, timeout=5) as conn:
            assert conn.execute("SELECT is_superuser FROM accounts_user WHERE username='root'").fetchone() == (1,)
        output = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{port}/admin/" in output and "manager" in output

        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        proc.wait(timeout=30)
        with pytest.raises(OSError):
            _get(f"http://127.0.0.1:{port}/healthz/")
        # Nothing that was started is left: no process has the run's environment any more.
        leftovers = [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs_with(pid, tmp_path)]
        assert leftovers == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
