"""SQLite for the embedded default: Django's backend, with the writers of one process
queued on a lock of the process instead of SQLite's busy handler.

Every SQLite transaction here is ``BEGIN IMMEDIATE`` (RECIPES: no "database is locked" under
twenty simultaneous orders): it takes the database's write lock at ``BEGIN``, and a second
writer waits in SQLite's busy handler, which sleeps between tries — 1, 2, 5, 10 … up to
100 ms each — whether or not the lock came free meanwhile. Under ``make run`` (one threaded
runserver process) placements spent much of their time asleep there (decision 97).

So a thread takes this process's lock for its database before ``BEGIN IMMEDIATE`` and
releases it when the transaction ends (commit, rollback, or the connection closes): the
threads of one process hand the write lock to each other at once, in turn. Another process
(the Celery worker) still meets SQLite's own lock and busy handler, exactly as before.
Nothing about what a transaction sees or may do changes; only how writers wait.
"""

import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_locks = {}
_locks_guard = threading.Lock()


def _process_lock(name):
    with _locks_guard:
        return _locks.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_process_lock = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._process_lock = _process_lock(self.settings_dict["NAME"])
        self._lock_timeout = self.settings_dict.get("OPTIONS", {}).get("timeout", 5)

    def _start_transaction_under_autocommit(self):
        if self.is_in_memory_db():  # one connection per thread, nothing shared to queue for
            return super()._start_transaction_under_autocommit()
        if not self._process_lock.acquire(timeout=self._lock_timeout):
            raise OperationalError("database is locked (waited for this process's other writers)")
        self._holds_process_lock = True
        try:
            self._begin_immediate()
        except BaseException:
            self._release_process_lock()
            raise

    def _begin_immediate(self):
        """``BEGIN IMMEDIATE``, polling every millisecond or two while another process (the
        worker) holds the write lock, instead of in SQLite's busy handler, which sleeps up to
        100 ms a try once a wait is a few tries old, long after the lock came free."""
        raw = self.connection
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + self._lock_timeout
            while True:
                try:
                    return super()._start_transaction_under_autocommit()
                except OperationalError as error:
                    if "locked" not in str(error) or time.monotonic() > deadline:
                        raise
                time.sleep(0.001)
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(self._lock_timeout * 1000)}")

    def _release_process_lock(self):
        if self._holds_process_lock:
            self._holds_process_lock = False
            self._process_lock.release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_process_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_process_lock()

    def _set_autocommit(self, autocommit):
        try:
            return super()._set_autocommit(autocommit)
        finally:
            if autocommit:
                self._release_process_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_process_lock()
