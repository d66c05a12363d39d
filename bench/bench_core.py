#!/usr/bin/env python
"""Core benchmarks (issue: core). Prints:

1. approve → order `completed` latency through a real Celery worker, p50 and p95 over 200
   orders, on Redis and on the embedded (file-system) broker. Latency is the order's
   ``completed_at`` minus the operation's ``decided_at`` (both written by the same clock).
2. service-level order placement on PostgreSQL: orders per second of ``order_place`` as a
   ratio to a bare insert of an order row in the same run, and SQL statements per order.
"""

import os
import statistics
import tempfile
import time

from _setup import django_on_postgres, percentile, placers, use_broker

ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
PLACEMENTS = int(os.environ.get("BENCH_PLACEMENTS", "1000"))


def held_orders(n, manager, plan, tag):
    from accounts.services import account_create, account_user_create
    from subscriptions.services import order_place

    orders = []
    for i in range(n):
        account = account_create(actor=manager, name=f"{tag} {i}")
        user = account_user_create(
            actor=manager, account_id=account.pk, username=f"{tag}-{i}", password="bench-pass-123"
        )
        orders.append(order_place(actor=user, account_id=account.pk, plan_id=plan.pk, period="commercial"))
    return orders


def approve_latency(label, broker_url, transport_options, manager, plan, var):
    from manual_operations.services import manual_operation_approve
    from subscriptions.models import Order, OrderStatus
    from tests.servers import CeleryWorker

    use_broker(broker_url, transport_options)
    orders = held_orders(ORDERS + 5, manager, plan, label)
    env = {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": broker_url,
        "POSTPAY_VAR_DIR": var,
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    worker = CeleryWorker(env).start()
    try:
        latencies = []
        for i, order in enumerate(orders):
            operation = manual_operation_approve(actor=manager, operation_id=order.manual_operation.pk)
            deadline = time.monotonic() + 30
            while not Order.objects.filter(pk=order.pk, status=OrderStatus.COMPLETED).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"order {order.pk} not completed:\n{worker.output()[-2000:]}")
                time.sleep(0.002)
            if i >= 5:  # the first five warm the worker up
                completed_at = Order.objects.values_list("completed_at", flat=True).get(pk=order.pk)
                operation.refresh_from_db()
                latencies.append((completed_at - operation.decided_at).total_seconds() * 1000)
    finally:
        worker.stop()
    print(
        f"approve → completed, {label:<8} broker, {len(latencies)} orders: "
        f"p50 {percentile(latencies, 50):6.1f} ms   p95 {percentile(latencies, 95):6.1f} ms   "
        f"mean {statistics.mean(latencies):6.1f} ms"
    )


def placement_throughput(manager, plan):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from subscriptions.models import Order, OrderStatus

    use_broker("memory://")
    customers, place = placers(manager, plan, "placer")

    def bare_insert(i):
        customer = customers[i % len(customers)]
        with transaction.atomic():
            Order.objects.create(
                type="new",
                account_id=customer.account_id,
                plan=plan,
                period="commercial",
                price=plan.price,
                status=OrderStatus.PROVISIONING,
                created_by=customer,
            )

    for i in range(50):  # warm-up
        place(i)
        bare_insert(i)
    rates = {}
    for name, action in (("bare insert", bare_insert), ("order_place", place)):
        started = time.perf_counter()
        for i in range(PLACEMENTS):
            action(i)
        rates[name] = PLACEMENTS / (time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        for i in range(100):
            place(i)
    per_order = len(ctx.captured_queries) / 100
    print(f"order placement on PostgreSQL, {PLACEMENTS} orders (gated postpaid plan, approved accounts):")
    print(f"  bare insert of an order row : {rates['bare insert']:8.0f} orders/s")
    print(f"  order_place (service)       : {rates['order_place']:8.0f} orders/s")
    print(f"  ratio service / bare insert : {rates['order_place'] / rates['bare insert']:8.2f}")
    print(f"  SQL statements per placed order: {per_order:.1f} (BEGIN and COMMIT included; goal ≤ 8)")


def main():
    pg = django_on_postgres()
    redis = None
    try:
        from accounts.services import account_create  # noqa: F401 (Django is set up now)
        from settings_app.services import postpay_settings_update
        from subscriptions.services import plan_create
        from tests.factories import ManagerFactory
        from tests.servers import RedisServer, filesystem_broker

        manager = ManagerFactory(username="bench-manager")
        postpay_settings_update(actor=manager, postpaid_permission_mode="manual")
        plan = plan_create(actor=None, name="Bench Flex", billing_model="postpay", price="10.00")

        placement_throughput(manager, plan)
        if RedisServer.available():
            redis = RedisServer().start()
            approve_latency("redis", redis.url, None, manager, plan, tempfile.mkdtemp())
        else:
            print("approve → completed on redis: skipped, redis-server is not installed")
        var = tempfile.mkdtemp(prefix="postpay-bench-fs-")
        url, options = filesystem_broker(var)
        approve_latency("embedded", url, options, manager, plan, var)
    finally:
        if redis:
            redis.cleanup()
        pg.stop()


if __name__ == "__main__":
    main()
