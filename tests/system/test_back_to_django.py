"""The write path is plain Django (decision 119): no SQL text on the request path, no ambient
state of the project's own, and the two places that must know Django's internals say so."""

import ast
import hashlib
import inspect
import re
from pathlib import Path

from django.db.backends.sqlite3 import base as sqlite_base

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "audit", "events", "manual_operations", "postpay_portal", "settings_app", "subscriptions"]
# Where SQL text belongs: frozen DDL in migrations, the tally's triggers and fold (set-based
# background work), the SQLite backend, and the health checks.
ALLOWED = (
    "/migrations/",
    "subscriptions/order_tally.py",
    "subscriptions/services/tally.py",
    "postpay_portal/db_sqlite/",
    "postpay_portal/health.py",
)


def _project_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            yield path, str(path.relative_to(ROOT))


def test_no_sql_text_outside_migrations_the_tally_the_sqlite_backend_and_the_health_checks():
    raw = re.compile(r"cursor\.execute|\.raw\(|\.extra\(")
    found = [
        f"{name}:{number}"
        for path, name in _project_files()
        if not any(allowed in name for allowed in ALLOWED)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if raw.search(line)
    ]
    assert found == []


def test_no_context_variable_of_the_projects_own():
    found = []
    for path, name in _project_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "ContextVar":
                found.append(f"{name}:{node.lineno}")
    assert found == []


def test_the_tally_migration_keeps_its_own_frozen_copy_of_the_triggers():
    """A migration never imports live code; the live copy (the SQLite repair after a table
    rebuild) must install the very triggers the migration did."""
    import importlib

    from subscriptions import order_tally

    migration = importlib.import_module("subscriptions.migrations.0005_order_tally")
    source = (ROOT / "subscriptions/migrations/0005_order_tally.py").read_text()
    assert "import order_tally" not in source and "from subscriptions" not in source
    assert migration.POSTGRESQL == order_tally.POSTGRESQL
    assert migration.SQLITE == order_tally.SQLITE
    assert migration.RECOUNT == order_tally.RECOUNT


# The private methods of Django's SQLite backend that ``postpay_portal.db_sqlite`` overrides to
# queue one process's writers on a lock (decision 97), as Django 5.2 wrote them. A Django
# upgrade that changes one must be read before the override is trusted again.
SQLITE_OVERRIDES = {
    "_start_transaction_under_autocommit": "7315cfc6",
    "_commit": "8ebc361e",
    "_rollback": "d671ec3b",
    "_set_autocommit": "951168e6",
    "_close": "d1a3f0e9",
}


def _fingerprint(name):
    """The method as Django defines it, wherever in the class hierarchy it lives."""
    for klass in sqlite_base.DatabaseWrapper.__mro__:
        if name in vars(klass):
            source = inspect.getsource(vars(klass)[name])
            return f"{klass.__module__}.{klass.__qualname__}", hashlib.sha256(source.encode()).hexdigest()[:8]
    raise AssertionError(f"Django no longer has {name}")


def test_the_sqlite_process_lock_overrides_methods_django_still_has_unchanged():
    from postpay_portal.db_sqlite.base import DatabaseWrapper

    seen = {name: _fingerprint(name)[1] for name in SQLITE_OVERRIDES}
    assert seen == SQLITE_OVERRIDES, {name: _fingerprint(name) for name in SQLITE_OVERRIDES}
    for name in SQLITE_OVERRIDES:
        assert name in vars(DatabaseWrapper)  # still overridden here
