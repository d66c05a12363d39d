"""Real web processes for the operations tests (R35): gunicorn serving the project."""

import json
import subprocess
import sys
import urllib.error
import urllib.request

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
