"""Throwaway servers for tests and benchmarks: PostgreSQL, Redis and Celery workers.

Each is a real process on a free loopback port, stopped by its PID. Used by the test
settings (PostgreSQL for the whole session), by fixtures (Redis, workers) and by bench/.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def terminate(proc, timeout):
    """SIGTERM a child process, SIGKILL it if it is still there after ``timeout`` seconds."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def postgres_in_use():
    """Whether the session's test database is PostgreSQL (the test settings start one when it
    is installed)."""
    from django.db import connection

    return connection.vendor == "postgresql"


def chromium_path():
    """Debian's Chromium, which Playwright drives here (RECIPES), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def database_url_for_workers():
    """The URL of the test database this session uses, for worker and web processes."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def wait_for_port(port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder. As root it runs as the `postgres` user,
    since PostgreSQL refuses to run as root (RECIPES)."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="postpay-pg-"))
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user=self.as_user)

    @staticmethod
    def available():
        if not (find_binary("initdb") and find_binary("pg_ctl")):
            return False
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return False
        return True

    def _run(self, *args):
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, extra_options=""):
        data = self.dir / "data"
        self._run(find_binary("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self._run(
            find_binary("pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 {extra_options}",
        )
        return self

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self):
        try:
            self._run(find_binary("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="postpay-redis-"))
        self.pidfile = self.dir / "redis.pid"

    @staticmethod
    def available():
        return shutil.which("redis-server") is not None

    def start(self):
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--pidfile",
                str(self.pidfile),
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "log"),
            ],
            check=True,
        )
        wait_for_port(self.port)
        deadline = time.monotonic() + 5
        while not self.pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        if self.pidfile.exists():
            pid = int(self.pidfile.read_text().strip())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                    time.sleep(0.02)
                except ProcessLookupError:
                    break
            self.pidfile.unlink(missing_ok=True)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def filesystem_broker(folder):
    """The embedded broker's URL and transport options, rooted at ``folder``."""
    folder = Path(folder)
    for sub in ("broker", "broker-done", "broker-control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "broker"),
        "data_folder_out": str(folder / "broker"),
        "processed_folder": str(folder / "broker-done"),
        "control_folder": str(folder / "broker-control"),
        "store_processed": False,
        "polling_interval": 0.02,
    }


class CeleryWorker:
    """A real `celery worker` process (solo pool) for the project, optionally with beat."""

    def __init__(self, env, beat=False, log_dir=None, queues="celery,webhooks"):
        self.env = {**os.environ, **env}
        self.beat = beat
        self.queues = queues  # as make run's worker; docker-compose splits them
        self.log = Path(log_dir or tempfile.mkdtemp(prefix="postpay-worker-")) / f"worker-{free_port()}.log"
        self.proc = None

    def start(self, timeout=30):
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "postpay_portal",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test{free_port()}@%h",
            "-Q",
            self.queues,
        ]
        if self.beat:
            cmd += ["-B", "-s", str(self.log.with_suffix(".beat"))]
        self._log_handle = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log_handle, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"worker did not start:\n{self.output()}")

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def stop(self):
        terminate(self.proc, timeout=15)
        if getattr(self, "_log_handle", None):
            self._log_handle.close()
