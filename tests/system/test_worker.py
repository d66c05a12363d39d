"""R15, R22 with real processes: a `celery worker` on Redis and on the embedded broker, a
worker killed mid-task, and a broker that is down when a manager approves."""

import time

import pytest

from manual_operations.models import OperationStatus
from manual_operations.services import manual_operation_approve
from subscriptions.models import AttemptOutcome, Order, OrderStatus, Subscription
from tests.servers import RedisServer
from tests.support.actions import place
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST_SWEEP = {
    "PROVISIONING_SWEEP_AFTER_SECONDS": "1",
    "PROVISIONING_SWEEP_INTERVAL_SECONDS": "0.5",
    "PROVISIONING_LEASE_SECONDS": "3",
}


def order_status(order):
    return Order.objects.get(pk=order.pk).status


def place_held(customer, plan):
    """``place``, held for review (R9): what the tests then approve while a worker runs."""
    order = place(customer, plan)
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    return order


@pytest.mark.redis
def test_r15_approved_order_completes_through_a_worker_on_redis(
    manual_mode, customer_alice, postpaid_plan, manager_max, redis_broker, start_worker
):
    worker = start_worker(broker_url=redis_broker)
    order = place_held(customer_alice, postpaid_plan)
    manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    wait_for(lambda order=order: order_status(order) == OrderStatus.COMPLETED, what="completed", log=worker.output)
    assert Subscription.objects.filter(origin_order=order).count() == 1
    assert "subscriptions.provision_order" in worker.output()


def test_r15_approved_order_completes_through_a_worker_on_the_embedded_broker(
    manual_mode, customer_alice, postpaid_plan, manager_max, embedded_broker, start_worker
):
    url, options = embedded_broker
    worker = start_worker(broker_url=url, transport_options=options)
    order = place_held(customer_alice, postpaid_plan)
    manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    wait_for(lambda order=order: order_status(order) == OrderStatus.COMPLETED, what="completed", log=worker.output)
    assert Subscription.objects.filter(origin_order=order).count() == 1


@pytest.mark.redis
def test_r15_r18_a_bulk_approvals_orders_complete_through_a_worker_from_one_message(
    manual_mode, postpaid_plan, manager_max, redis_broker, start_worker
):
    """The bulk approval hands its orders to the broker in one message; the worker fans it
    out into a provisioning task per order (subscriptions.enqueue_provisioning)."""
    from manual_operations.services import manual_operation_approve_many
    from tests.factories import AccountFactory, CustomerFactory

    worker = start_worker(broker_url=redis_broker)
    orders = [
        place_held(CustomerFactory(username=f"bulk{i}", account=AccountFactory(name=f"Bulk {i}")), postpaid_plan)
        for i in range(3)
    ]
    done, _ = manual_operation_approve_many(actor=manager_max, operation_ids=[o.manual_operation.pk for o in orders])
    assert len(done) == 3
    for order in orders:
        wait_for(lambda order=order: order_status(order) == OrderStatus.COMPLETED, what="completed", log=worker.output)
        assert Subscription.objects.filter(origin_order=order).count() == 1
    assert "subscriptions.enqueue_provisioning" in worker.output()


@pytest.mark.parametrize("broker", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_r22_a_worker_killed_mid_provisioning_is_recovered_once(
    broker, request, manual_mode, customer_alice, postpaid_plan, manager_max, start_worker
):
    if broker == "redis":
        url, options = request.getfixturevalue("redis_broker"), None
    else:
        url, options = request.getfixturevalue("embedded_broker")
    slow = start_worker(
        broker_url=url,
        transport_options=options,
        env={
            **FAST_SWEEP,
            "POSTPAY_PROVISIONER": "tests.support.provisioners.Slow",
            "POSTPAY_TEST_PROVISION_SECONDS": "60",
            "PROVISIONING_SWEEP_AFTER_SECONDS": "3600",  # this worker's sweep must not interfere
        },
    )
    order = place_held(customer_alice, postpaid_plan)
    manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    wait_for(
        lambda: order.attempts.filter(outcome=AttemptOutcome.RUNNING).exists(),
        what="the first attempt to start",
        log=slow.output,
    )
    slow.kill()  # SIGKILL while provisioning
    assert order_status(order) == OrderStatus.PROVISIONING

    rescuer = start_worker(broker_url=url, transport_options=options, beat=True, env=FAST_SWEEP)
    wait_for(lambda: order_status(order) == OrderStatus.COMPLETED, what="completed after the sweep", log=rescuer.output)
    assert Subscription.objects.filter(origin_order=order).count() == 1
    assert list(order.attempts.values_list("outcome", flat=True)) == [
        AttemptOutcome.ABANDONED,
        AttemptOutcome.SUCCEEDED,
    ]


@pytest.mark.redis
def test_r22_broker_down_at_approval_the_decision_commits_and_the_sweep_finishes_it(
    manual_mode, customer_alice, postpaid_plan, manager_max, use_broker, start_worker
):
    redis = RedisServer().start()
    try:
        use_broker(redis.url)
        worker = start_worker(broker_url=redis.url, beat=True, env=FAST_SWEEP)
        order = place_held(customer_alice, postpaid_plan)
        redis.stop()

        started = time.monotonic()
        operation = manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
        # Hang guard, not a speed measure: the request must not wait on a broker that is down.
        assert time.monotonic() - started < 15
        operation.refresh_from_db()
        assert operation.status == OperationStatus.APPROVED
        assert order_status(order) == OrderStatus.PROVISIONING

        redis.start()  # same port: the worker and its beat reconnect
        wait_for(
            lambda: order_status(order) == OrderStatus.COMPLETED,
            timeout=90,
            what="completed after the broker came back",
            log=worker.output,
        )
        assert Subscription.objects.filter(origin_order=order).count() == 1
        assert "sweep re-enqueued" in worker.output()
    finally:
        redis.cleanup()
