"""R35, CONTRACT §3 ``/readyz/``: 200 when the database, the broker, a worker and the
scheduler are well; 503 with the same shape, the failing check saying why, otherwise.

Real processes: a ``celery worker`` with its embedded beat, a ``redis-server`` stopped and
started again. Short intervals come from the environment (worker) and the settings (this
process, which answers /readyz/).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from postpay_portal.models import Heartbeat
from postpay_portal.services import heartbeat_record
from tests.servers import RedisServer
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ALL_OK = {"database": "ok", "broker": "ok", "worker": "ok", "scheduler": "ok"}
FAST = {"WORKER_HEARTBEAT_INTERVAL_SECONDS": "0.5", "PROVISIONING_SWEEP_INTERVAL_SECONDS": "0.5"}


@pytest.fixture
def short_limits(settings):
    """This process judges a worker silent after 3 s, the sweep late after 3 × 1 s."""
    settings.READYZ_WORKER_MAX_AGE_SECONDS = 3
    settings.PROVISIONING_SWEEP_INTERVAL_SECONDS = 1


@pytest.fixture
def redis(use_broker):
    """A Redis of this test's own, which it may stop and start again on the same port."""
    server = RedisServer().start()
    use_broker(server.url)
    yield server
    server.cleanup()


def readyz(client):
    response = client.get("/readyz/")
    body = response.json()
    assert set(body) == {"status", "checks"} and set(body["checks"]) == set(ALL_OK)  # one shape, always
    return response.status_code, body


def wait_until_ready(client, worker=None):
    wait_for(
        lambda: readyz(client) == (200, {"status": "ok", "checks": ALL_OK}),
        what="/readyz/ to be 200",
        log=lambda: f"{readyz(client)}\n{worker.output() if worker else ''}",
    )


@pytest.mark.redis
def test_r35_readyz_is_503_naming_the_worker_when_the_worker_is_stopped_and_200_when_it_is_back(
    client, short_limits, redis, start_worker
):
    worker = start_worker(broker_url=redis.url, beat=True, env=FAST)
    wait_until_ready(client, worker)

    worker.stop()
    # The worker's embedded beat stops with it, so the scheduler check may fail a moment
    # before the worker's does: wait for the worker's.
    wait_for(lambda: readyz(client)[1]["checks"]["worker"] != "ok", what="/readyz/ to name the worker")
    status, body = readyz(client)
    assert status == 503 and body["status"] != "ok"
    assert body["checks"]["worker"].startswith("no Celery worker has shown a sign of life")
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"

    worker = start_worker(broker_url=redis.url, beat=True, env=FAST)
    wait_until_ready(client, worker)


@pytest.mark.redis
def test_r35_readyz_is_503_naming_the_broker_when_redis_is_stopped_and_200_when_it_is_back(
    client, short_limits, redis, start_worker
):
    worker = start_worker(broker_url=redis.url, beat=True, env=FAST)
    wait_until_ready(client, worker)

    redis.stop()
    status, body = readyz(client)
    assert status == 503 and body["status"] != "ok"
    assert "broker does not answer" in body["checks"]["broker"]
    assert body["checks"]["database"] == "ok"

    redis.start()  # same port: the worker and its beat reconnect
    wait_until_ready(client, worker)


@pytest.mark.redis
def test_r35_readyz_is_503_naming_the_scheduler_when_the_sweep_has_not_run_and_200_once_it_runs(
    client, short_limits, redis, start_worker
):
    # Workers beat and answer, but the sweep's schedule is an hour: it does not run here.
    worker = start_worker(broker_url=redis.url, beat=True, env={**FAST, "PROVISIONING_SWEEP_INTERVAL_SECONDS": "3600"})
    heartbeat_record(name=Heartbeat.Name.PROVISIONING_SWEEP, now=timezone.now() - timedelta(seconds=10))
    wait_for(lambda: readyz(client)[1]["checks"]["worker"] == "ok", what="a worker heartbeat", log=worker.output)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["scheduler"].startswith("the provisioning sweep has not run for")
    assert {k: v for k, v in body["checks"].items() if k != "scheduler"} == {
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
    }

    worker.stop()
    worker = start_worker(broker_url=redis.url, beat=True, env=FAST)  # a sweep every 0.5 s
    wait_until_ready(client, worker)


def test_r35_readyz_names_what_never_ran_on_a_fresh_installation(client):
    status, body = readyz(client)  # the in-memory test broker answers; no worker ever ran
    assert status == 503
    assert body["checks"]["database"] == body["checks"]["broker"] == "ok"
    assert body["checks"]["worker"] == "no Celery worker has run the heartbeat task yet"
    assert body["checks"]["scheduler"] == "the provisioning sweep has not run yet"


def test_r35_readyz_is_503_naming_the_database_when_it_does_not_answer(client, monkeypatch):
    from django.db import OperationalError

    import postpay_portal.health as health

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["database"] == "the database does not answer (OperationalError)"
    assert body["checks"]["worker"].startswith("unknown")


def test_r35_the_heartbeat_and_the_sweep_are_scheduled_by_beat(settings):
    tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks["postpay_portal.worker_heartbeat"] == settings.WORKER_HEARTBEAT_INTERVAL_SECONDS
    assert tasks["subscriptions.sweep_provisioning"] == settings.PROVISIONING_SWEEP_INTERVAL_SECONDS
    assert settings.WORKER_HEARTBEAT_INTERVAL_SECONDS < settings.READYZ_WORKER_MAX_AGE_SECONDS == 60
