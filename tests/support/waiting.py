"""Waiting on other processes: a worker, a web process, a broker coming back."""

import time


def wait_for(predicate, timeout=60, what="condition", log=lambda: ""):
    """Poll until ``predicate()`` is true; a hang guard, not a speed measure. On a timeout the
    end of ``log()`` (e.g. ``worker.output``) is in the failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{log()[-4000:]}")
