"""R34 in one process against a real HTTP receiver: what a delivery looks like, how it is
signed, retried, given up, refused, and never sent twice at the same time."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import WebhookVerificationError

from events.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from events.services import (
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
    webhook_delivery_sweep,
    webhook_endpoint_create,
    webhook_endpoint_replay,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from events.services.delivery import retry_delay
from postpay_portal.encryption import encrypt
from tests.events.receiver import Receiver, block_until_released, self_signed_certificate, sleep_for
from tests.support.actions import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(endpoint, customer_alice, postpaid_plan):
    place(customer_alice, postpaid_plan)  # automatic mode: one event, order.created
    return WebhookDelivery.objects.get(endpoint=endpoint)


def reload(delivery):
    return WebhookDelivery.objects.get(pk=delivery.pk)


def test_r34_a_delivery_is_the_event_as_the_api_shows_it_signed_per_standard_webhooks(
    api, admin_ada, endpoint, delivery, receiver
):
    webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.wait_for(1)
    event = Event.objects.get()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == event.id
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 5
    assert request.verify(endpoint.secret) == api(admin_ada).get("/api/v1/events/").json()["results"][0]
    with pytest.raises(WebhookVerificationError):
        request.verify("whsec_" + "A" * 44)  # another secret does not verify
    delivery = reload(delivery)
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_r34_a_failed_attempt_is_retried_after_the_base_delay_doubling_then_failed(
    settings, endpoint, delivery, receiver
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default = 500
    assert [retry_delay(n) for n in (1, 2, 3)] == [settings.WEBHOOK_RETRY_BASE_SECONDS * k for k in (1, 2, 4)]
    before = timezone.now()
    webhook_delivery_attempt(delivery_id=delivery.pk)
    first = reload(delivery)
    assert (first.status, first.attempts, first.response_status) == (DeliveryStatus.PENDING, 1, 500)
    assert "HTTP 500" in first.error
    assert first.next_attempt_at >= before + timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS)
    # Not due yet: a message arriving early sends nothing.
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1
    for _attempt in (2, 3):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhook_delivery_attempt(delivery_id=delivery.pk)
    last = reload(delivery)
    assert (last.status, last.attempts, last.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert len(receiver.received) == 3
    assert len(set(receiver.ids())) == 1  # the same webhook-id on every retry


def test_r34_a_redirect_is_not_followed_and_counts_as_a_failure(endpoint, delivery, receiver):
    receiver.default = 302
    webhook_delivery_attempt(delivery_id=delivery.pk)
    failed = reload(delivery)
    assert (failed.status, failed.response_status) == (DeliveryStatus.PENDING, 302)
    assert "not followed" in failed.error
    assert len(receiver.received) == 1


def test_r34_a_receiver_slower_than_the_timeout_fails_the_attempt_in_time(settings, endpoint, delivery, receiver):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.default = sleep_for(10)
    started = timezone.now()
    webhook_delivery_attempt(delivery_id=delivery.pk)
    assert (timezone.now() - started).total_seconds() < 3
    failed = reload(delivery)
    assert failed.status == DeliveryStatus.PENDING and failed.attempts == 1
    assert "no answer within 1 s" in failed.error


def test_r34_redeliver_and_replay_keep_the_events_webhook_id(
    endpoint, delivery, receiver, customer_alice, postpaid_plan
):
    webhook_delivery_attempt(delivery_id=delivery.pk)
    first_event = Event.objects.get()
    place(customer_alice, postpaid_plan)
    second_event = Event.objects.exclude(pk=first_event.pk).get()
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=second_event).pk)

    redelivered = webhook_delivery_redeliver(actor=None, delivery_id=delivery.pk)
    assert (redelivered.status, redelivered.attempts) == (DeliveryStatus.PENDING, 0)
    webhook_delivery_attempt(delivery_id=delivery.pk)

    assert webhook_endpoint_replay(actor=None, endpoint_id=endpoint.pk, after=first_event.pk) == 1
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.get(event=second_event).pk)

    requests = receiver.wait_for(4)
    assert [r.headers["webhook-id"] for r in requests] == [
        first_event.pk,
        second_event.pk,
        first_event.pk,
        second_event.pk,
    ]
    assert requests[0].body == requests[2].body and requests[1].body == requests[3].body
    for request in requests:
        request.verify(endpoint.secret)


def test_r34_replay_also_sends_events_older_than_the_endpoint(allow_loopback, receiver, customer_alice, postpaid_plan):
    place(customer_alice, postpaid_plan)
    place(customer_alice, postpaid_plan)
    first, second = Event.objects.order_by("id")
    late = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    assert not late.deliveries.exists()
    assert webhook_endpoint_replay(actor=None, endpoint_id=late.pk, after=first.pk) == 1
    [replayed] = late.deliveries.all()
    assert (replayed.event_id, replayed.status) == (second.pk, DeliveryStatus.PENDING)


def test_r34_after_a_rotation_deliveries_verify_with_the_new_and_the_old_secret(endpoint, delivery, receiver):
    old_secret = endpoint.secret
    rotated = webhook_endpoint_rotate_secret(actor=None, endpoint_id=endpoint.pk)
    assert rotated.secret != old_secret and rotated.secret.startswith("whsec_")
    webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.wait_for(1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    request.verify(rotated.secret)
    request.verify(old_secret)


def test_r34_the_previous_secret_stops_signing_after_24_hours(endpoint, delivery, receiver):
    old_secret = endpoint.secret
    rotated = webhook_endpoint_rotate_secret(actor=None, endpoint_id=endpoint.pk)
    rotated.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    rotated.save(update_fields=["previous_secret_expires_at"])
    webhook_delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.wait_for(1)
    request.verify(rotated.secret)
    with pytest.raises(WebhookVerificationError):
        request.verify(old_secret)


def test_r34_an_endpoint_made_inactive_receives_nothing_more(endpoint, delivery, receiver):
    webhook_endpoint_update(actor=None, endpoint_id=endpoint.pk, active=False)
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert receiver.received == []
    stopped = reload(delivery)
    assert (stopped.status, stopped.error) == (DeliveryStatus.FAILED, "the endpoint is inactive")


def test_r34_a_private_address_is_refused_again_at_delivery_time(settings, endpoint, delivery, receiver):
    """DNS rebinding: the endpoint was accepted, its host now resolves to loopback."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    webhook_delivery_attempt(delivery_id=delivery.pk)
    assert receiver.received == []
    refused = reload(delivery)
    assert refused.status == DeliveryStatus.PENDING and refused.attempts == 1
    assert "private address" in refused.error


def test_r34_an_attempt_that_cannot_even_be_signed_is_counted_and_retried(endpoint, delivery, receiver):
    """Otherwise its lease would expire and the sweep would take it again, for ever."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret_encrypted=encrypt("whsec_"))
    webhook_delivery_attempt(delivery_id=delivery.pk)
    failed = reload(delivery)
    assert (failed.status, failed.attempts, failed.claim_token) == (DeliveryStatus.PENDING, 1, None)
    assert "EmptyWebhookSecretError" in failed.error
    assert receiver.received == []


def test_r34_the_sweep_resends_a_pending_delivery_whose_message_was_lost(settings, endpoint, delivery, receiver):
    settings.WEBHOOK_SWEEP_AFTER_SECONDS = 60
    assert webhook_delivery_sweep() == []  # just created: its own message is on its way
    later = timezone.now() + timedelta(seconds=61)
    assert webhook_delivery_sweep(now=later) == [delivery.pk]
    assert webhook_delivery_sweep(now=later) == []  # not again before its message had a chance


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r34_two_attempts_at_once_send_a_delivery_once(
    settings, allow_loopback, receiver, customer_alice, postpaid_plan
):
    """The task and the sweep (or two messages) race: the lease lets exactly one send."""
    from django.db import connection

    from events.services import webhook_endpoint_create

    webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    with mock.patch("events.tasks.deliver_webhook_task.apply_async"):  # committed, not yet sent
        place(customer_alice, postpaid_plan)
    delivery = WebhookDelivery.objects.get()
    receiver.default = block_until_released
    barrier = threading.Barrier(2)
    results = []

    def attempt():
        try:
            barrier.wait()
            results.append(webhook_delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    receiver.wait_for(1)
    receiver.release.set()
    for thread in threads:
        thread.join(30)
    assert len(receiver.received) == 1
    assert sorted(r is None for r in results) == [False, True]
    assert reload(delivery).status == DeliveryStatus.SUCCEEDED


def test_r34_an_https_receiver_is_verified_against_the_host_name(
    allow_loopback, tmp_path, monkeypatch, customer_alice, prepaid_plan
):
    """TLS to the address that was checked, with the name for SNI and the certificate check:
    an untrusted certificate fails the attempt; once trusted, the delivery succeeds."""
    cert, key = self_signed_certificate(tmp_path)
    receiver = Receiver(tls=(cert, key)).start()
    try:
        endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
        with mock.patch("events.tasks.deliver_webhook_task.apply_async"):
            place(customer_alice, prepaid_plan)
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        webhook_delivery_attempt(delivery_id=delivery.pk)
        untrusted = reload(delivery)
        assert untrusted.status == DeliveryStatus.PENDING and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
        assert receiver.received == []

        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the default context now trusts it
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        webhook_delivery_attempt(delivery_id=delivery.pk)
        assert reload(delivery).status == DeliveryStatus.SUCCEEDED
        [request] = receiver.received
        assert request.headers["host"] == receiver.url.split("/")[2]  # the name, not the address
        request.verify(endpoint.secret)
    finally:
        receiver.stop()
