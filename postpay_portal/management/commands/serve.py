"""`make run`'s foreground process: the web server and a Celery worker with its embedded
beat, stopped together by one Ctrl-C (SIGINT) or SIGTERM (CONTRACT §1)."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_SECONDS = 15


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def child_commands(port):
    """The web server and the worker (with its embedded beat) that `make run` starts."""
    manage = str(settings.BASE_DIR / "manage.py")
    return {
        "web": [sys.executable, manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "postpay_portal",
            "worker",
            "-B",
            "--pool=solo",
            "--loglevel=INFO",
            "-s",
            settings.CELERY_BEAT_SCHEDULE_FILENAME,
            "-Q",
            "celery,webhooks",  # provisioning and webhook deliveries (R34)
        ],
    }


class Command(BaseCommand):
    help = "Run the portals (runserver) and a Celery worker with beat until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port, **options):
        commands = child_commands(port)
        # Each child leads its own process group, so that stopping it also stops what it
        # started (the worker's embedded beat); every child sees the caller's environment.
        children = {
            name: subprocess.Popen(cmd, env=os.environ.copy(), start_new_session=True) for name, cmd in commands.items()
        }
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        code = 0
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with {child.returncode}; stopping the others.")
                    code = child.returncode or 1
                    stopping = True
            time.sleep(0.3)
        for child in children.values():
            if group_alive(child.pid):
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            while group_alive(child.pid) and time.monotonic() < deadline:
                child.poll()  # reap the leader so the group can empty
                time.sleep(0.1)
            if group_alive(child.pid):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        sys.exit(code)
