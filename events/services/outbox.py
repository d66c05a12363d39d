"""R34: the outbox. Every audited change appends its event in the same transaction.

``audit.services`` is the only caller (``audit_record``, ``audited_transition``,
``audit_record_changes``, ``publish_change``), so a new transition cannot forget its event,
and a refused or rolled-back change leaves none. The embedded object is serialized now,
with the REST API's output serializer as staff see it (true statuses, ``failure_reason``
kept), and stored: the event says what was true when it happened.

Deliveries are created in the same transaction for every active endpoint subscribed to the
type, and handed to the broker only once it commits.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.module_loading import import_string

from postpay_portal.api.representation import represent
from postpay_portal.bulk_sql import bulk_insert

from ..models import Event, EventType, WebhookDelivery, WebhookEndpoint

# object type → (key in ``data``, the API's output serializer, a loader when the caller
# passed no instance)
OBJECTS = {
    "order": ("order", "subscriptions.apis.OrderOutput", "subscriptions.models.Order"),
    "manual_operation": (
        "manual_operation",
        "manual_operations.apis.ManualOperationOutput",
        "manual_operations.models.ManualOperation",
    ),
    "account": ("account", "accounts.apis.AccountOutput", "accounts.models.Account"),
    "subscription": ("subscription", "subscriptions.apis.SubscriptionOutput", "subscriptions.models.Subscription"),
    "postpay_settings": (
        "postpay_settings",
        "settings_app.apis.PostpaySettingsOutput",
        "settings_app.models.PostpaySettings",
    ),
}


def _event_type(object_type, changes, created):
    """Which event a change is, or None. ``changes`` maps field → (old, new)."""
    if object_type == "order":
        return EventType.ORDER_CREATED if created else EventType.ORDER_STATUS_CHANGED
    if object_type == "manual_operation":
        return EventType.MANUAL_OPERATION_CREATED if created else EventType.MANUAL_OPERATION_DECIDED
    if object_type == "account":
        old, new = changes.get("postpay_permission", (None, None))
        # An account created at `none` has no permission change to tell; an override to the
        # same value changes nothing either.
        if created or old is None or old == new:
            return None
        return EventType.ACCOUNT_POSTPAY_PERMISSION_CHANGED
    if object_type == "subscription":
        return EventType.SUBSCRIPTION_CREATED if created else EventType.SUBSCRIPTION_UPDATED
    if object_type == "postpay_settings":
        return EventType.POSTPAY_SETTINGS_CHANGED if changes else None
    return None


def serialize(object_type, obj):
    """The object as the staff API shows it (``postpay_portal.api.representation``)."""
    return dict(represent(import_string(OBJECTS[object_type][1]), obj))


def _data(event_type, object_type, obj, changes):
    key = OBJECTS[object_type][0]
    data = {key: serialize(object_type, obj)}
    if event_type in (EventType.ORDER_CREATED, EventType.ORDER_STATUS_CHANGED):
        data["from"] = None if event_type == EventType.ORDER_CREATED else changes["status"][0]
    elif event_type == EventType.ACCOUNT_POSTPAY_PERMISSION_CHANGED:
        data["from"] = changes["postpay_permission"][0]
    elif event_type == EventType.POSTPAY_SETTINGS_CHANGED:
        data["from"] = {**data[key], **{field: old for field, (old, _) in changes.items() if field in data[key]}}
    return data


def event_record_change(*, object_type, object_id, obj=None, changes=None, created=False, pending=None):
    """Append the event of one committed-to-be change, or nothing when the change is not
    one the contract publishes. Runs inside the caller's transaction.

    With ``pending`` (a list, ``audit.services.change_batch``) the event is built and
    serialized now, as of the change, and appended to it; ``events_write`` writes it."""
    changes = changes or {}
    event_type = _event_type(str(object_type), changes, created)
    if event_type is None:
        return None
    object_type = str(object_type)
    if obj is None:
        obj = import_string(OBJECTS[object_type][2])._default_manager.get(pk=object_id)
    event = Event(
        type=event_type,
        object_type=object_type,
        object_id=object_id,
        data_json=json.dumps(
            _data(event_type, object_type, obj, changes),
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
            separators=(",", ":"),
        ),
    )
    if pending is not None:
        pending.append(event)
    else:
        events_write([event])
    return event


def events_write(events):
    """Insert the events (one statement) and their deliveries (one more when an endpoint
    subscribes), handed to the broker once the transaction commits."""
    if not events:
        return []
    bulk_insert(Event, events)
    return _fan_out(events)


def _active_endpoints():
    """The active endpoints and the types they subscribe to, read once per transaction.

    A decision writes three events (operation, account, order): reading the endpoints for
    each was two statements in seventeen of every approval (issue 11 item 7). Within one
    transaction they are read once, as if every event of the transaction were published at
    its first: an endpoint created meanwhile by another transaction gets none of them,
    exactly as when it commits a moment after this one.
    """
    connection = transaction.get_connection()
    # The transaction is told apart by its list of on-commit callbacks: Django replaces
    # that list when a transaction commits or rolls back (and when a savepoint rolls back),
    # and the reference kept here keeps its identity from being reused meanwhile.
    this_transaction = connection.run_on_commit if connection.in_atomic_block else None
    cached = getattr(connection, "_postpay_active_endpoints", None)
    if this_transaction is not None and cached is not None and cached[0] is this_transaction:
        return cached[1]
    endpoints = _read_active_endpoints(connection)
    connection._postpay_active_endpoints = (this_transaction, endpoints) if this_transaction is not None else None
    return endpoints


def _read_active_endpoints(connection):
    """``(id, types)`` of the active endpoints, in one statement written from the model's
    metadata: the ORM compiled the same query on every order placement, 7 % of its time
    (pyinstrument, bench/profile_order_api.py)."""
    meta = WebhookEndpoint._meta
    quote = connection.ops.quote_name
    events = meta.get_field("events")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote(meta.pk.column)}, {quote(events.column)} FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.get_field('active').column)} ORDER BY {quote(meta.pk.column)}"
        )
        return [(pk, events.from_db_value(types, None, connection)) for pk, types in cursor.fetchall()]


def forget_active_endpoints():
    """An endpoint was created, changed or deleted in this transaction: read them again."""
    transaction.get_connection()._postpay_active_endpoints = None


def _fan_out(events):
    """One delivery per active endpoint subscribed to each event's type: one query for the
    endpoints (per transaction), one insert when any subscribes, nothing more on the
    change's path."""
    endpoints = _active_endpoints()
    deliveries = [
        WebhookDelivery(endpoint_id=pk, event=event, next_attempt_at=event.created_at)
        for event in events
        for pk, types in endpoints
        if "*" in types or event.type in types
    ]
    if not deliveries:
        return []
    ids = [delivery.pk for delivery in WebhookDelivery.objects.bulk_create(deliveries)]
    enqueue_on_commit(ids)
    return ids


def enqueue_on_commit(delivery_ids):
    """Hand the deliveries to the broker once the transaction commits (never before: a
    rolled-back change must not be sent)."""
    from .delivery import enqueue_deliveries

    if delivery_ids:
        transaction.on_commit(lambda: enqueue_deliveries(delivery_ids), robust=True)
