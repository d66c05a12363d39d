"""R34: the outbox. Every audited change appends its event in the same transaction.

``audit.services`` is the only caller (``audit_record``, ``audited_transition``,
``audit_record_changes``, ``publish_change``), so a new transition cannot forget its event,
and a refused or rolled-back change leaves none. The embedded object is written now, by its
payload function (``events.payloads``), as staff see it: the event says what was true when
it happened.

The unit of work writes its events together when it closes, with one delivery for every
active endpoint subscribed to each type, and hands the deliveries to the broker only once
the transaction commits.
"""

from django.apps import apps

from .models import Event, EventType, WebhookDelivery, WebhookEndpoint
from .payloads import CREDIT_FIELDS, PAYLOADS, credit_terms_before, dumps

# object type → the model a change is read from when the caller passed no instance
MODELS = {
    "order": "subscriptions.Order",
    "manual_operation": "manual_operations.ManualOperation",
    "account": "accounts.Account",
    "subscription": "subscriptions.Subscription",
    "postpay_settings": "settings_app.PostpaySettings",
}


def _event_type(object_type, changes, created):
    """Which event a change is, or None. ``changes`` maps field → (old, new)."""
    if object_type == "order":
        return EventType.ORDER_CREATED if created else EventType.ORDER_STATUS_CHANGED
    if object_type == "manual_operation":
        return EventType.MANUAL_OPERATION_CREATED if created else EventType.MANUAL_OPERATION_DECIDED
    if object_type == "account":
        if set(changes) & set(CREDIT_FIELDS):
            return EventType.ACCOUNT_CREDIT_TERMS_CHANGED  # R37: one per change, however many fields
        old, new = changes.get("postpay_permission", (None, None))
        # An account created at `none` has no permission change to tell; an override to the
        # same value changes nothing either.
        if created or old is None or old == new:
            return None
        return EventType.ACCOUNT_POSTPAY_PERMISSION_CHANGED
    if object_type == "subscription":
        return EventType.SUBSCRIPTION_CREATED if created else EventType.SUBSCRIPTION_UPDATED
    if object_type == "postpay_settings":
        # Only a change of what the settings API shows is published (payment instructions are
        # the portal's text, not part of the contract's settings, decision 123).
        shown = set(changes) & {"postpaid_permission_mode", "trial_requires_approval"}
        return EventType.POSTPAY_SETTINGS_CHANGED if shown else None
    return None


def serialize(object_type, obj):
    """The object as an event embeds it (``events.payloads``)."""
    return PAYLOADS[object_type][1](obj)


def _data(event_type, object_type, obj, changes, created):
    key = PAYLOADS[object_type][0]
    data = {key: serialize(object_type, obj)}
    if event_type in (EventType.ORDER_CREATED, EventType.ORDER_STATUS_CHANGED):
        data["from"] = None if event_type == EventType.ORDER_CREATED else changes["status"][0]
    elif event_type == EventType.ACCOUNT_POSTPAY_PERMISSION_CHANGED:
        data["from"] = changes["postpay_permission"][0]
    elif event_type == EventType.ACCOUNT_CREDIT_TERMS_CHANGED:
        data["from"] = credit_terms_before(data[key], changes, created=created)
    elif event_type == EventType.POSTPAY_SETTINGS_CHANGED:
        data["from"] = {**data[key], **{field: old for field, (old, _) in changes.items() if field in data[key]}}
    return data


def event_record_change(*, uow, object_type, object_id, obj=None, changes=None, created=False):
    """Append the event of one change to the unit of work, or nothing when the change is not
    one the contract publishes. Its data is written now, as of the change."""
    changes = changes or {}
    object_type = str(object_type)
    event_type = _event_type(object_type, changes, created)
    if event_type is None:
        return None
    if obj is None:
        obj = apps.get_model(MODELS[object_type])._default_manager.get(pk=object_id)
    event = Event(
        type=event_type,
        object_type=object_type,
        object_id=object_id,
        data_json=dumps(_data(event_type, object_type, obj, changes, created)),
    )
    uow.events.append(event)
    return event


def events_write(events, *, uow):
    """Insert the events and their deliveries, the deliveries handed to the broker once the
    transaction commits. Returns the deliveries' ids."""
    if not events:
        return []
    Event.objects.bulk_create(events)
    endpoints = list(WebhookEndpoint.objects.filter(active=True).order_by("pk").values_list("pk", "events"))
    deliveries = [
        WebhookDelivery(endpoint_id=pk, event=event, next_attempt_at=event.created_at)
        for event in events
        for pk, types in endpoints
        if "*" in types or event.type in types
    ]
    if not deliveries:
        return []
    ids = [delivery.pk for delivery in WebhookDelivery.objects.bulk_create(deliveries)]
    uow.after_commit(enqueue_deliveries, ids)
    return ids


def enqueue_deliveries(delivery_ids):
    """Hand the deliveries to the broker (after commit: a rolled-back change is never sent)."""
    from .services.enqueue import enqueue_deliveries as enqueue

    enqueue(delivery_ids)
