"""Fixtures shared by every test: personas, plans, real servers and real workers."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from tests.servers import (
    CeleryWorker,
    RedisServer,
    chromium_path,
    database_url_for_workers,
    filesystem_broker,
    postgres_in_use,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


REQUIREMENTS = {
    "postgres": (postgres_in_use, "the tests run on SQLite (PostgreSQL is not installed, or POSTPAY_TEST_DB=sqlite)"),
    "redis": (RedisServer.available, "redis-server is not installed"),
    "chromium": (lambda: chromium_path() is not None, "Debian's chromium is not installed"),
}


def pytest_runtest_setup(item):
    """A test that needs a server skips with a reason when it is missing; with CI=true a
    missing server is a failure, never a silent skip (CONTRACT §1)."""
    for marker, (check, reason) in REQUIREMENTS.items():
        if item.get_closest_marker(marker) and not check():
            if IN_CI:
                pytest.fail(f"CI=true but {reason}", pytrace=False)
            pytest.skip(reason)


# Fixtures that start a process or a server: their tests are left out of `make test-fast`.
SLOW_FIXTURES = {
    "start_worker",
    "redis_server",
    "live_server",
    "page",
    "browser",
    "sqlite_server",
    "web_processes",
    "receiver",
}
SLOW_MARKERS = {"worker", "redis", "chromium", "postgres"}  # make test-fast runs on SQLite


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` what waits on workers, servers or the browser (``make test-fast``
    deselects them with ``-m "not slow"``); ``make test`` runs everything."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        markers = {marker.name for marker in item.iter_markers()}
        if fixtures & SLOW_FIXTURES or markers & SLOW_MARKERS or "subprocess" in markers:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with Django's cache empty: the API's throttle counters live there
    (local memory in tests), and one test's requests must not count against the next's."""
    from django.core.cache import cache

    cache.clear()


# --- personas (STYLE §7) -----------------------------------------------------------------

from tests.factories import (  # noqa: E402
    AccountFactory,
    CustomerFactory,
    ManagerFactory,
    OperatorFactory,
    PlanFactory,
    StaffFactory,
    SuperuserFactory,
    api_token_for,
)
from tests.support.api import RecordingClient  # noqa: E402


@pytest.fixture
def manager_max(db):
    return ManagerFactory(username="max")


@pytest.fixture
def staff_sam(db):
    """An operator of the "Operators" group: no decide permission, no plans."""
    return OperatorFactory(username="sam")


@pytest.fixture
def bare_staff_bea(db):
    """Staff status and no permission at all (R33)."""
    return StaffFactory(username="bea")


@pytest.fixture
def admin_ada(db):
    """A superuser: every permission, plans included."""
    return SuperuserFactory(username="ada")


@pytest.fixture
def alice_account(db):
    return AccountFactory(name="Alice Ltd", email="billing@alice.example")


@pytest.fixture
def customer_alice(alice_account):
    return CustomerFactory(username="alice", account=alice_account, email="alice@alice.example")


@pytest.fixture
def outsider_oscar(db):
    return CustomerFactory(username="oscar", account=AccountFactory(name="Oscar Inc"))


@pytest.fixture
def postpaid_plan(db):
    return PlanFactory(name="Cloud Flex", billing_model="postpay", price=Decimal("29.00"), trial_days=30)


@pytest.fixture
def postpaid_plan_no_trial(db):
    return PlanFactory(name="Metered", billing_model="postpay", price=Decimal("199.00"), trial_days=0)


@pytest.fixture
def prepaid_plan(db):
    return PlanFactory(name="Starter", billing_model="prepay", price=Decimal("9.90"), trial_days=14)


@pytest.fixture
def manual_mode(db):
    from settings_app.services import postpay_settings_update

    return postpay_settings_update(actor=None, postpaid_permission_mode="manual")


@pytest.fixture
def held_order(manual_mode, customer_alice, postpaid_plan):
    """R9: alice's first gated order is held with a manual operation open; her account is
    under review. Its on_commit work (the managers' mail, R19) does not run."""
    from tests.support.actions import place

    return place(customer_alice, postpaid_plan)


# --- real servers and workers --------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server():
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def use_broker():
    """Point this process's Celery app at a broker (and stop running tasks inline), so that
    what a service enqueues reaches a real worker. Restored afterwards."""
    from postpay_portal.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)

    def _reset_pools():
        from kombu import pools

        pools.reset()  # closes and forgets every cached connection and producer pool
        app._pool = None
        app.amqp._producer_pool = None

    def switch(url, transport_options=None):
        _reset_pools()
        app.conf.broker_url = url
        app.conf.broker_transport_options = transport_options or {}
        app.conf.task_always_eager = False

    yield switch
    _reset_pools()
    app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved


@pytest.fixture
def start_worker(tmp_path):
    """Start real Celery worker processes on the test database; stopped at teardown."""
    workers = []

    def start(*, broker_url, transport_options=None, beat=False, env=None, queues="celery,webhooks"):
        worker_env = {
            "DATABASE_URL": database_url_for_workers(),
            "CELERY_BROKER_URL": broker_url,
            "POSTPAY_VAR_DIR": str(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "postpay_portal.settings",
            **(env or {}),
        }
        if broker_url.startswith("filesystem"):
            worker_env["POSTPAY_VAR_DIR"] = str(Path(transport_options["data_folder_in"]).parent)
        worker = CeleryWorker(worker_env, beat=beat, log_dir=tmp_path, queues=queues).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def embedded_broker(tmp_path, use_broker):
    url, options = filesystem_broker(tmp_path / "var")
    use_broker(url, options)
    return url, options


@pytest.fixture
def redis_broker(redis_server, use_broker):
    """The session's Redis, emptied: a message an earlier test left unacknowledged (a killed
    worker's) must not show up in the next test's queues."""
    import redis

    redis.Redis.from_url(redis_server.url).flushdb()
    use_broker(redis_server.url)
    return redis_server.url


@pytest.fixture
def api(db):
    """``api(user)`` → a client sending that user's token; ``api()`` is anonymous."""

    def make(user=None):
        client = RecordingClient()
        client.user = user
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
        return client

    return make
