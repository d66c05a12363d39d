"""Shared set-up of the benchmarks: a throwaway PostgreSQL and Django configured on it.

Benchmarks print figures; they assert nothing and are never run by `make test`.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import PostgresServer  # noqa: E402


def django_on_postgres():
    """Start PostgreSQL, point Django at it, migrate. Returns the server (caller stops it)."""
    pg = PostgresServer().start()
    var = tempfile.mkdtemp(prefix="postpay-bench-")
    os.environ.update(
        DATABASE_URL=pg.url,
        DJANGO_SETTINGS_MODULE="postpay_portal.settings",
        DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnop"),
        POSTPAY_VAR_DIR=var,
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return pg


def production_shaped_env(database_url, var):
    """Settings of a production-shaped Django in this process (DJANGO_DEBUG=0), for the
    benches that drive the operator portal with Django's test client."""
    import secrets

    return {
        "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
        "DJANGO_DEBUG": "0",
        "POSTPAY_REQUIRE_2FA": "0",  # the bench signs in with a password; R45 is tested, not timed
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
        "DATABASE_URL": database_url,
        "POSTPAY_VAR_DIR": str(var),
        "DJANGO_LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
    }


def machine_speed():
    """A figure to compare machines and sessions by: seconds of a pure-Python loop of
    5,000,000 additions, the best of three (this machine's speed has varied several-fold
    between sessions, README). Printed beside each benchmark's figures."""
    import time

    best = None
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return f"machine: a pure-Python loop of 5,000,000 additions takes {best:.2f} s (best of 3), {os.cpu_count()} cores"


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def use_broker(url, transport_options=None):
    """Point this process's Celery app at a broker (as tests/conftest.py's fixture does)."""
    from kombu import pools

    from postpay_portal.celery import app

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.conf.task_always_eager = False


def placers(manager, plan, prefix, count=20):
    """``count`` customers of pre-approved accounts, and ``place(i)`` placing a commercial
    order of ``plan`` for the i-th of them in turn (through ``order_place``)."""
    from accounts.services import account_create, account_user_create
    from subscriptions.services import order_place

    customers = []
    for i in range(count):
        account = account_create(actor=None, name=f"{prefix} {i}", preapproved=True)
        customers.append(
            account_user_create(actor=None, account_id=account.pk, username=f"{prefix}-{i}", password="bench-pass-123")
        )

    def place(i):
        customer = customers[i % len(customers)]
        return order_place(actor=customer, account_id=customer.account_id, plan_id=plan.pk, period="commercial")

    return customers, place
