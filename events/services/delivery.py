"""R34: sending a delivery — claim by lease, sign, POST, record — and the sweep.

A delivery is claimed with a lease inside a locked transaction and sent outside it, so
that no database lock is held while a receiver takes its time. A second message for the
same delivery (the sweep's, a redelivery's, a duplicate) finds the lease held, the
delivery no longer pending, or its next attempt not yet due, and returns: a delivery is
never sent twice at the same time. A worker killed mid-send leaves a lease that expires;
the sweep then re-enqueues the delivery. Overall: at least once.
"""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from .. import sending
from ..models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from ..payloads import event_body
from .endpoints import webhook_endpoints_forget_expired_secrets
from .enqueue import enqueue_deliveries

logger = logging.getLogger(__name__)

# A message may arrive a little before the time it was scheduled for (clocks of the worker
# that scheduled it and of the one that runs it).
EARLY_TOLERANCE = timedelta(seconds=2)
# Longer retry delays are left to the sweep rather than a Celery countdown: on Redis a
# message held past the visibility timeout (1 h) is delivered again, and a worker holds
# every counted-down message in memory.
MAX_COUNTDOWN_SECONDS = 600
SWEEP_BATCH = 500


def signature(endpoint: WebhookEndpoint, msg_id: str, timestamp: datetime, body_text: str) -> str:
    """Standard Webhooks signatures: one per valid secret, space-separated (rotation)."""
    return " ".join(
        Webhook(secret).sign(msg_id, timestamp, body_text) for secret in endpoint.signing_secrets(timezone.now())
    )


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base, doubling."""
    return settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1)


def _locked(queryset, delivery_id):
    try:
        return queryset.get(pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        return None  # deleted with its endpoint


def _claim(delivery_id):
    """First transaction: take the lease, or None when this message has nothing to do."""
    now = timezone.now()
    with transaction.atomic():
        delivery = _locked(
            WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint", "event"), delivery_id
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None  # deleted with its endpoint, or already delivered / given up
        if delivery.claimed_until and delivery.claimed_until > now:
            return None  # another attempt is sending it right now
        if delivery.next_attempt_at and delivery.next_attempt_at > now + EARLY_TOLERANCE:
            return None  # a retry that is not due: its own message or the sweep will come
        if not delivery.endpoint.active:
            delivery.error = "the endpoint is inactive"
            delivery.give_up()  # an inactive endpoint gets nothing; replay it once active again
            delivery.save()
            return None
        delivery.claimed_until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        delivery.claim_token = uuid.uuid4()
        delivery.save(update_fields=["claimed_until", "claim_token"])
    return delivery


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt of one delivery (R34). Returns the delivery after it, or None when this
    message had nothing to do."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if endpoint.previous_secret_encrypted and not endpoint.has_previous_secret(timezone.now()):
        webhook_endpoints_forget_expired_secrets(endpoint_id=endpoint.pk)  # its 24 h are over
    try:
        outcome = _send(endpoint, delivery.event)
    except SoftTimeLimitExceeded:
        outcome = sending.Outcome(ok=False, error="the attempt ran out of time")
    except Exception as exc:  # e.g. a secret that cannot sign: count it, never loop unrecorded
        logger.exception("webhook delivery %s could not be sent", delivery_id)
        outcome = sending.Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:2000])
    return _record(delivery_id, delivery.claim_token, outcome)


def _send(endpoint, event):
    body = event_body(event)
    timestamp = datetime.now(UTC).replace(microsecond=0)
    headers = {
        "content-type": "application/json",
        "user-agent": "PostpayPortal-Webhooks/1.0",
        "webhook-id": event.id,  # the same on every retry, redelivery and replay
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature(endpoint, event.id, timestamp, body.decode("utf-8")),
    }
    return sending.post(
        endpoint.url,
        body,
        headers,
        timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS,
    )


def _record(delivery_id, token, outcome):
    """Second transaction: count the attempt; succeeded, failed for good, or retried later."""
    now = timezone.now()
    with transaction.atomic():
        delivery = _locked(WebhookDelivery.objects.select_for_update(), delivery_id)
        if delivery is None or delivery.claim_token != token:
            return None  # deleted, or the lease expired and another attempt took over
        delivery.attempts += 1
        delivery.response_status = outcome.status
        delivery.error = outcome.error
        countdown = None
        if outcome.ok:
            delivery.succeed()
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.give_up()
        else:
            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            delivery._release()
            countdown = delay
        delivery.save()
        if countdown is not None and countdown <= MAX_COUNTDOWN_SECONDS:
            transaction.on_commit(lambda: enqueue_deliveries([delivery_id], countdown=countdown), robust=True)
    if not outcome.ok:
        logger.info("webhook delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, outcome.error)
    return delivery


def webhook_delivery_sweep(*, now: datetime | None = None) -> list[int]:
    """R34: re-enqueue deliveries left pending past their next attempt — a lost message, a
    killed worker, a broker that was down, a retry too far ahead for a countdown. Returns
    the ids it re-enqueued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOK_SWEEP_AFTER_SECONDS)
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff)
            .exclude(claimed_until__gt=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:SWEEP_BATCH]
        )
        if due:
            # Not a status change: when it was last handed to the broker, so that the next
            # sweep leaves it to this message for a while.
            WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=now)
            transaction.on_commit(lambda: enqueue_deliveries(due), robust=True)
    if due:
        logger.warning("webhook sweep re-enqueued %d pending deliveries", len(due))
    return due
