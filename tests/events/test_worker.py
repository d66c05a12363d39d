"""R34 with real processes: a `celery worker` on a real Redis delivers to a real HTTP
receiver; a failing receiver is retried, a slow one delays nothing else, a killed worker
and a lost message are recovered by the sweep."""

import time

import pytest
import redis
from django.db import transaction

from events.models import DeliveryStatus, Event, WebhookDelivery
from events.services import webhook_endpoint_create
from manual_operations.models import ManualOperation
from subscriptions.models import Order, OrderStatus
from tests.events.receiver import block_until_released, sleep_for
from tests.support.actions import place
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Worker environment: the receiver is on loopback; retries and the sweep are quick.
WEBHOOKS = {"WEBHOOK_ALLOW_PRIVATE_URLS": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.5"}
FAST_SWEEP = {"WEBHOOK_SWEEP_AFTER_SECONDS": "1", "WEBHOOK_SWEEP_INTERVAL_SECONDS": "0.5", "WEBHOOK_LEASE_SECONDS": "3"}


def delivery_status(delivery):
    return WebhookDelivery.objects.get(pk=delivery.pk).status


def order_status(order):
    return Order.objects.get(pk=order.pk).status


@pytest.mark.redis
def test_r34_every_event_of_an_approval_flow_is_delivered_signed_once_committed_through_a_worker_on_redis(
    manual_mode,
    allow_loopback,
    receiver,
    api,
    customer_alice,
    outsider_oscar,
    postpaid_plan,
    manager_max,
    redis_broker,
    start_worker,
):
    worker = start_worker(broker_url=redis_broker, env=WEBHOOKS)
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    order_body = {"plan": postpaid_plan.pk, "period": "commercial"}

    # R9: the customer's first postpaid order is held.
    held = api(customer_alice).post("/api/v1/orders/", order_body, format="json")
    assert held.status_code == 201
    order = Order.objects.get(pk=held.json()["id"])
    # R10: a second gated order of the account under review is refused — no event.
    refused = api(customer_alice).post("/api/v1/orders/", order_body, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "postpay_under_review")
    # A transaction that rolls back — no event, nothing sent.
    with pytest.raises(RuntimeError), transaction.atomic():
        place(outsider_oscar, postpaid_plan)
        raise RuntimeError("rolled back")
    # R15: a manager approves; the worker provisions.
    operation = ManualOperation.objects.get(order=order)
    approved = api(manager_max).post(f"/api/v1/manual-operations/{operation.pk}/approve/", {}, format="json")
    assert approved.status_code == 200
    wait_for(lambda: order_status(order) == OrderStatus.COMPLETED, what="the order completed", log=worker.output)

    requests = receiver.wait_for(8)
    time.sleep(1)  # anything sent twice, or for the refused and rolled-back requests, would arrive by now
    assert len(receiver.received) == 8
    published = list(Event.objects.filter(deliveries__endpoint=endpoint).order_by("id"))
    assert [event.type for event in published] == [
        "order.created",
        "account.postpay_permission_changed",
        "manual_operation.created",
        "manual_operation.decided",
        "account.postpay_permission_changed",
        "order.status_changed",
        "subscription.created",
        "order.status_changed",
    ]
    assert Event.objects.filter(object_type="order").exclude(object_id=order.pk).count() == 0
    bodies = {}
    for request in requests:
        bodies[request.headers["webhook-id"]] = request.verify(endpoint.secret)  # standardwebhooks' own check
    assert set(bodies) == {event.id for event in published}
    for event in published:
        assert bodies[event.id] == {
            "id": event.id,
            "type": event.type,
            "created_at": bodies[event.id]["created_at"],
            "data": event.data,
        }
    assert bodies[published[5].id]["data"]["order"]["status"] == "provisioning"
    assert bodies[published[7].id]["data"]["order"]["status"] == "completed"
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SUCCEEDED, 1)}
    assert "events.deliver_webhook" in worker.output()


@pytest.mark.redis
def test_r34_a_receiver_answering_500_then_200_gets_the_delivery_after_a_retry(
    allow_loopback, receiver, customer_alice, prepaid_plan, redis_broker, start_worker
):
    worker = start_worker(broker_url=redis_broker, env=WEBHOOKS)
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    receiver.answers = [500, 503]
    place(customer_alice, prepaid_plan)  # waits for payment: one event
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    wait_for(lambda: delivery_status(delivery) == DeliveryStatus.SUCCEEDED, what="delivered", log=worker.output)
    delivered = WebhookDelivery.objects.get(pk=delivery.pk)
    assert (delivered.attempts, delivered.response_status, delivered.error) == (3, 200, "")
    first, second, third = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == third.headers["webhook-id"]
    # Base 0.5 s, doubling: 0.5 s then 1 s between the attempts.
    assert second.at - first.at >= 0.45 and third.at - second.at >= 0.95
    third.verify(endpoint.secret)


@pytest.mark.redis
def test_r34_a_receiver_that_never_answers_delays_neither_the_approval_nor_provisioning(
    manual_mode, allow_loopback, receiver, api, customer_alice, postpaid_plan, manager_max, redis_broker, start_worker
):
    """The docker-compose layout: provisioning on `celery`, deliveries on `webhooks`."""
    provisioning = start_worker(broker_url=redis_broker, queues="celery")
    webhooks = start_worker(
        broker_url=redis_broker, queues="webhooks", env={**WEBHOOKS, "WEBHOOK_TIMEOUT_SECONDS": "2"}
    )
    receiver_delay = 30
    receiver.default = sleep_for(receiver_delay)
    webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    order = place(customer_alice, postpaid_plan)
    receiver.wait_for(1)  # the webhooks worker is now stuck on the slow receiver

    started = time.monotonic()
    response = api(manager_max).post(
        f"/api/v1/manual-operations/{order.manual_operation.pk}/approve/", {}, format="json"
    )
    approve_seconds = time.monotonic() - started
    assert response.status_code == 200
    wait_for(
        lambda: order_status(order) == OrderStatus.COMPLETED,
        timeout=receiver_delay,
        what="completed",
        log=provisioning.output,
    )
    completed_seconds = time.monotonic() - started
    print(
        f"approve answered in {approve_seconds * 1000:.0f} ms; order completed {completed_seconds:.2f} s after "
        f"approval while the receiver sleeps {receiver_delay} s"
    )
    assert approve_seconds < 2
    assert completed_seconds < 5  # well below the receiver's delay, and below two delivery timeouts

    # The stuck attempt itself ends at the timeout, not when the receiver answers.
    first = WebhookDelivery.objects.order_by("id").first()
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=first.pk).attempts >= 1,
        timeout=10,
        what="the first attempt timed out",
        log=webhooks.output,
    )
    assert "no answer within 2 s" in WebhookDelivery.objects.get(pk=first.pk).error
    assert time.monotonic() - started < receiver_delay


@pytest.mark.redis
def test_r34_a_worker_killed_during_a_delivery_is_recovered_by_the_sweep(
    allow_loopback, receiver, customer_alice, prepaid_plan, redis_broker, start_worker
):
    doomed = start_worker(broker_url=redis_broker, env={**WEBHOOKS, **FAST_SWEEP})
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    receiver.answers = [block_until_released]
    place(customer_alice, prepaid_plan)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    receiver.wait_for(1)  # the worker is inside the send
    doomed.kill()  # SIGKILL: the message is unacknowledged, the delivery leased and pending
    receiver.release.set()
    assert delivery_status(delivery) == DeliveryStatus.PENDING

    rescuer = start_worker(broker_url=redis_broker, beat=True, env={**WEBHOOKS, **FAST_SWEEP})
    wait_for(
        lambda: delivery_status(delivery) == DeliveryStatus.SUCCEEDED,
        what="delivered after the sweep",
        log=rescuer.output,
    )
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    second.verify(endpoint.secret)
    assert "webhook sweep re-enqueued" in rescuer.output()
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1  # the killed attempt never recorded itself


@pytest.mark.redis
def test_r34_a_delivery_message_lost_on_redis_is_recovered_by_the_sweep(
    allow_loopback, receiver, customer_alice, prepaid_plan, redis_broker, start_worker
):
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    place(customer_alice, prepaid_plan)  # committed: its message waits on the `webhooks` list
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    client = redis.Redis.from_url(redis_broker)
    assert client.llen("webhooks") == 1
    client.delete("webhooks")  # lost before any worker took it

    worker = start_worker(broker_url=redis_broker, beat=True, env={**WEBHOOKS, **FAST_SWEEP})
    wait_for(
        lambda: delivery_status(delivery) == DeliveryStatus.SUCCEEDED,
        what="delivered after the sweep",
        log=worker.output,
    )
    [request] = receiver.received
    request.verify(endpoint.secret)


def test_r34_deliveries_go_out_through_a_worker_on_the_embedded_broker(
    allow_loopback, receiver, customer_alice, prepaid_plan, embedded_broker, start_worker
):
    """`make run`'s default: the file-system broker, one worker on both queues."""
    url, options = embedded_broker
    worker = start_worker(broker_url=url, transport_options=options, env=WEBHOOKS)
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    place(customer_alice, prepaid_plan)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    wait_for(lambda: delivery_status(delivery) == DeliveryStatus.SUCCEEDED, what="delivered", log=worker.output)
    receiver.received[0].verify(endpoint.secret)
