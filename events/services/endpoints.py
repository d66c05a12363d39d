"""R34: webhook endpoints — create, change, delete, rotate the secret — and sending again
(redeliver one delivery, replay an endpoint from an event).

Each needs the Django permission the operator portal asks for the same action (R33;
``postpay_portal.guards.require_perm``). Changes of an endpoint are audited (R29): they say
where the platform's data goes.
"""

import base64
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import ObjectType
from audit.services import audit_record_changes
from audit.unit_of_work import unit_of_work
from postpay_portal import encryption
from postpay_portal.errors import InvalidInput, NotFound
from postpay_portal.guards import require_perm

from .. import sending
from ..ids import looks_like_event_id
from ..models import ALL_EVENTS, SUBSCRIBABLE_TYPES, Event, EventType, WebhookDelivery, WebhookEndpoint
from ..payloads import dumps
from .enqueue import enqueue_on_commit

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
PREVIOUS_SECRET_VALID_FOR = timedelta(hours=24)
REPLAY_MAX_EVENTS = 10_000
ENDPOINT_FIELDS = ("url", "events", "description", "active")


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (CONTRACT §4: at least 24)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _require(actor, verb, model="webhookendpoint"):
    require_perm(actor, f"events.{verb}_{model}", "Only webhook managers may do this.")


def _audited(value):
    """An endpoint's field as the audit log keeps it: text (a list of event types joined)."""
    if value is None:
        return None
    return ", ".join(value) if isinstance(value, list) else str(value)


def _audit(uow, actor, endpoint, changes, reason):
    audit_record_changes(
        uow=uow,
        object_type=ObjectType.WEBHOOK_ENDPOINT,
        obj=endpoint,
        changes={field: (_audited(old), _audited(new)) for field, (old, new) in changes.items()},
        actor=actor,
        reason=reason,
    )


def _clean(changes):
    """Validate the endpoint's fields; every problem at once, as ``invalid`` with fields."""
    fields, cleaned = {}, {}
    if "url" in changes:
        problem = sending.url_problem(changes["url"], allow_private=settings.WEBHOOK_ALLOW_PRIVATE_URLS)
        if problem:
            fields["url"] = [problem]
        else:
            cleaned["url"] = changes["url"]
    if "events" in changes:
        events = changes["events"]
        if not isinstance(events, (list, tuple)) or not events or not all(isinstance(e, str) for e in events):
            fields["events"] = ['A non-empty list of event types, or ["*"].']
        elif ALL_EVENTS in events and len(set(events)) > 1:
            fields["events"] = ['"*" subscribes to every event type: give it alone.']
        else:
            unknown = [e for e in events if e != ALL_EVENTS and e not in SUBSCRIBABLE_TYPES]
            if unknown:
                fields["events"] = [f"Unknown event type: {e}." for e in unknown]
            else:
                cleaned["events"] = list(dict.fromkeys(events))
    if "description" in changes:
        description = changes["description"]
        if not isinstance(description, str) or len(description) > 500:
            fields["description"] = ["At most 500 characters."]
        else:
            cleaned["description"] = description
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            fields["active"] = ["Must be true or false."]
        else:
            cleaned["active"] = changes["active"]
    if fields:
        raise InvalidInput(fields=fields)
    return cleaned


def _locked_endpoint(endpoint_id):
    """FOR NO KEY UPDATE: a change of an endpoint must not block the transactions that
    insert deliveries for it (their foreign key only takes a KEY SHARE lock)."""
    try:
        return WebhookEndpoint.objects.select_for_update(no_key=True).get(pk=endpoint_id)
    except (WebhookEndpoint.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such webhook endpoint.")


def webhook_endpoint_create(
    *, actor, url: str, events: list[str] | tuple[str, ...], description: str = ""
) -> WebhookEndpoint:
    """The endpoint with a new secret; the caller shows ``endpoint.secret`` once."""
    _require(actor, "add")
    cleaned = _clean({"url": url, "events": events, "description": description})
    with transaction.atomic(), unit_of_work() as uow:
        endpoint = WebhookEndpoint.objects.create(**cleaned, secret=new_secret())
        _audit(uow, actor, endpoint, {field: (None, value) for field, value in cleaned.items()}, "endpoint created")
    return endpoint


def webhook_endpoint_update(*, actor, endpoint_id: int, **changes) -> WebhookEndpoint:
    """``url``, ``events``, ``description``, ``active``; the URL is checked again."""
    _require(actor, "change")
    unknown = set(changes) - set(ENDPOINT_FIELDS)
    if unknown:
        raise InvalidInput(fields={field: ["This field cannot be changed."] for field in sorted(unknown)})
    cleaned = _clean(changes)
    with transaction.atomic(), unit_of_work() as uow:
        endpoint = _locked_endpoint(endpoint_id)
        changes = {field: (getattr(endpoint, field), value) for field, value in cleaned.items()}
        changes = {field: (old, new) for field, (old, new) in changes.items() if old != new}
        for field, (_, new) in changes.items():
            setattr(endpoint, field, new)
        if changes:
            endpoint.save(update_fields=list(changes))
            _audit(uow, actor, endpoint, changes, "endpoint changed")
    return endpoint


def webhook_endpoint_delete(*, actor, endpoint_id: int) -> None:
    """Its deliveries go with it; an attempt in flight finds its delivery gone."""
    _require(actor, "delete")
    with transaction.atomic(), unit_of_work() as uow:
        endpoint = _locked_endpoint(endpoint_id)
        _audit(uow, actor, endpoint, {"url": (endpoint.url, None)}, "endpoint deleted")
        endpoint.delete()


def webhook_endpoint_rotate_secret(*, actor, endpoint_id: int) -> WebhookEndpoint:
    """A new secret; the previous one keeps signing for 24 h, so a receiver can switch
    without losing a delivery (each is signed with both meanwhile). Both stay encrypted: the
    current token becomes the previous one as it is."""
    _require(actor, "change")
    with transaction.atomic(), unit_of_work() as uow:
        endpoint = _locked_endpoint(endpoint_id)
        _audit(uow, actor, endpoint, {"secret": (None, None)}, "secret rotated")  # never the secret itself
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_VALID_FOR
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at"])
    return endpoint


def webhook_endpoints_forget_expired_secrets(*, endpoint_id: int | None = None, now: datetime | None = None) -> int:
    """R34: a previous secret whose 24 h are over is erased, not kept for ever — when a
    delivery finds it expired, and by a periodic task for endpoints that send nothing.
    Returns how many were erased. A rotation at the same moment sets a new expiry, which
    this statement's condition leaves alone."""
    now = now or timezone.now()
    expired = WebhookEndpoint.objects.exclude(previous_secret_encrypted="").filter(
        Q(previous_secret_expires_at__lte=now) | Q(previous_secret_expires_at__isnull=True)
    )
    if endpoint_id is not None:
        expired = expired.filter(pk=endpoint_id)
    return expired.update(previous_secret_encrypted="", previous_secret_expires_at=None)


def webhook_endpoints_reencrypt_secrets() -> int:
    """Every endpoint's secrets under the first of ``POSTPAY_ENCRYPTION_KEYS``, so that an
    older key can be removed (``manage.py reencrypt_secrets``). Returns how many endpoints."""
    count = 0
    with transaction.atomic():
        for endpoint in WebhookEndpoint.objects.select_for_update(no_key=True).order_by("pk"):
            endpoint.secret_encrypted = encryption.reencrypt(endpoint.secret_encrypted)
            if endpoint.previous_secret_encrypted:
                endpoint.previous_secret_encrypted = encryption.reencrypt(endpoint.previous_secret_encrypted)
            endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted"])
            count += 1
    return count


def webhook_delivery_redeliver(*, actor, delivery_id: int) -> WebhookDelivery:
    """Send one delivery again, whatever its status, with a fresh series of attempts."""
    _require(actor, "change", "webhookdelivery")
    with transaction.atomic():
        try:
            delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        except (WebhookDelivery.DoesNotExist, ValueError, TypeError):
            raise NotFound("No such webhook delivery.")
        delivery.requeue()
        delivery.save()
        enqueue_on_commit([delivery.pk])
    return delivery


def webhook_endpoint_replay(*, actor, endpoint_id: int, after: str) -> int:
    """Send again every event after ``after`` that the endpoint subscribes to (at most
    ``REPLAY_MAX_EVENTS``, the oldest first): existing deliveries are requeued, missing
    ones (older than the endpoint, or of a type it subscribed to later) created. Returns
    how many were queued."""
    _require(actor, "change")
    if not looks_like_event_id(after) or not Event.objects.filter(pk=after).exists():
        raise InvalidInput.on("after", "No such event.")
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        events = Event.objects.filter(pk__gt=after).exclude(type=EventType.PING)  # each test event had its endpoint
        if ALL_EVENTS not in endpoint.events:
            events = events.filter(type__in=endpoint.events)
        event_ids = list(events.order_by("pk").values_list("pk", flat=True)[:REPLAY_MAX_EVENTS])
        queued, have = [], set()
        for delivery in WebhookDelivery.objects.select_for_update().filter(endpoint=endpoint, event_id__in=event_ids):
            delivery.requeue()
            delivery.save()
            queued.append(delivery.pk)
            have.add(delivery.event_id)
        created = WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(endpoint=endpoint, event_id=event_id) for event_id in event_ids if event_id not in have]
        )
        queued += [delivery.pk for delivery in created]
        enqueue_on_commit(queued)
    return len(event_ids)


def webhook_endpoint_ping(*, actor, endpoint_id: int) -> WebhookDelivery:
    """ "Send a test event": one ``ping`` event, ``{"endpoint": id}``, signed and sent like any
    other through the delivery task, to this endpoint only — whatever the endpoints that
    subscribe to every event (R34). Needs the permission to change the endpoint; an inactive
    endpoint gets nothing, a test event included. Returns the delivery."""
    _require(actor, "change")
    with transaction.atomic():
        endpoint = _locked_endpoint(endpoint_id)
        if not endpoint.active:
            raise InvalidInput.on("active", "The endpoint is inactive: activate it before sending it a test event.")
        event = Event.objects.create(
            type=EventType.PING,
            object_type=ObjectType.WEBHOOK_ENDPOINT,
            object_id=endpoint.pk,
            data_json=dumps({"endpoint": endpoint.pk}),
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, next_attempt_at=event.created_at)
        enqueue_on_commit([delivery.pk])
    return delivery
