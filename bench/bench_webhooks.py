#!/usr/bin/env python
"""Webhook benchmarks (R34). Prints:

1. Delivery throughput: events delivered per second to a local receiver
   (``ThreadingHTTPServer``, answers 200) through real Celery workers (solo pool) on Redis.
   N events are committed while no worker runs, so their messages wait on the ``webhooks``
   queue; then the workers start, and the figure is N over the time from the first request
   the receiver gets to the last (worker start-up excluded).
2. The cost of the outbox on order placement (``order_place`` on PostgreSQL, postpaid
   plan, approved accounts, broker ``memory://``): SQL statements per placed order and
   orders per second, with the outbox switched off (its function patched to do nothing, as
   before R34), with the outbox and no endpoint, and with one endpoint subscribed to
   ``order.created`` — each as a ratio to the outbox switched off.
"""

import os
import sys
import time
from unittest import mock

from _setup import django_on_postgres, placers, use_broker

EVENTS = int(os.environ.get("BENCH_WEBHOOK_EVENTS", "1000"))
PLACEMENTS = int(os.environ.get("BENCH_PLACEMENTS", "1000"))


def committed_events(n, manager, plan_pk, tag):
    """n prepaid commercial orders: each waits for payment and is exactly one event."""
    from accounts.services import account_create, account_user_create
    from subscriptions.services import order_place

    account = account_create(actor=manager, name=f"Webhook bench {tag}")
    user = account_user_create(
        actor=manager, account_id=account.pk, username=f"webhook-bench-{tag}", password="bench-pass-123"
    )
    for _ in range(n):
        order_place(actor=user, account_id=account.pk, plan_id=plan_pk, period="commercial")


def delivery_throughput(redis_url, manager, prepaid_plan, workers):
    from events.models import DeliveryStatus, WebhookDelivery
    from events.services import webhook_endpoint_create, webhook_endpoint_update
    from tests.events.receiver import Receiver
    from tests.servers import CeleryWorker

    receiver = Receiver().start()
    use_broker(redis_url)
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    committed_events(EVENTS, manager, prepaid_plan.pk, tag=workers)
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": redis_url,
        "POSTPAY_VAR_DIR": os.environ["POSTPAY_VAR_DIR"],
        "DJANGO_LOG_LEVEL": "WARNING",
        "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
    }
    started = [CeleryWorker(env, queues="webhooks").start() for _ in range(workers)]
    try:
        deadline = time.monotonic() + 600
        pending = WebhookDelivery.objects.filter(endpoint=endpoint).exclude(status=DeliveryStatus.SUCCEEDED)
        while pending.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"not delivered in time:\n{started[0].output()[-2000:]}")
            time.sleep(0.2)
    finally:
        for worker in started:
            worker.stop()
        receiver.stop()
        webhook_endpoint_update(actor=None, endpoint_id=endpoint.pk, active=False)
    times = sorted(request.at for request in receiver.received)
    rate = (len(times) - 1) / (times[-1] - times[0])
    duplicates = len(receiver.received) - len({r.headers["webhook-id"] for r in receiver.received})
    print(
        f"  {workers} worker(s): {len(receiver.received)} deliveries, {rate:7.0f} events/s "
        f"({1000 / rate:.1f} ms each), {duplicates} sent twice"
    )


def placement_cost(manager, plan):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from events.services import webhook_endpoint_create, webhook_endpoint_update

    use_broker("memory://")
    _, place = placers(manager, plan, "outbox-placer")

    def measure():
        for i in range(50):  # warm-up
            place(i)
        with CaptureQueriesContext(connection) as ctx:
            for i in range(100):
                place(i)
        best = 0.0
        for _ in range(3):  # the best of three rounds: the machine is shared
            started = time.perf_counter()
            for i in range(PLACEMENTS):
                place(i)
            best = max(best, PLACEMENTS / (time.perf_counter() - started))
        return len(ctx.captured_queries) / 100, best

    results = {}
    with (
        mock.patch("audit.services.event_record_change", return_value=None),
        mock.patch("audit.services.publish_change", return_value=None),
    ):
        results["outbox switched off (before R34)"] = measure()
    results["outbox, no endpoint"] = measure()
    endpoint = webhook_endpoint_create(actor=None, url="https://hooks.example.com/bench", events=["order.created"])
    results["outbox, 1 endpoint subscribed"] = measure()
    webhook_endpoint_update(actor=None, endpoint_id=endpoint.pk, active=False)

    base = results["outbox switched off (before R34)"][1]
    print(f"order placement on PostgreSQL, {PLACEMENTS} orders × best of 3 (postpaid plan, approved accounts):")
    for label, (queries, rate) in results.items():
        print(f"  {label:<34}: {queries:4.1f} SQL statements/order, {rate:6.0f} orders/s, ratio {rate / base:4.2f}")


def main():
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"  # the receiver listens on loopback
    pg = django_on_postgres()
    redis = None
    try:
        from settings_app.services import postpay_settings_update
        from subscriptions.services import plan_create
        from tests.factories import ManagerFactory
        from tests.servers import RedisServer

        manager = ManagerFactory(username="bench-manager")
        postpay_settings_update(actor=manager, postpaid_permission_mode="manual")
        postpaid = plan_create(actor=None, name="Bench Flex", billing_model="postpay", price="10.00")
        prepaid = plan_create(actor=None, name="Bench Box", billing_model="prepay", price="5.00")

        placement_cost(manager, postpaid)
        if not RedisServer.available():
            print("webhook delivery throughput: skipped, redis-server is not installed")
            return
        redis = RedisServer().start()
        print(f"webhook delivery throughput, Redis, local receiver, {EVENTS} events per run (solo pool):")
        for workers in (1, 2):
            delivery_throughput(redis.url, manager, prepaid, workers)
    finally:
        if redis:
            redis.cleanup()
        pg.stop()


if __name__ == "__main__":
    sys.exit(main())
