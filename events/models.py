"""The outbox of R34: events, the endpoints that subscribe to them, one delivery per pair.

An ``Event`` is appended by the service layer in the transaction of the change it
describes (through ``audit.services``), with its data serialized as staff see it at that
moment. A ``WebhookDelivery`` is created beside it for every active endpoint subscribed to
its type; a Celery task sends it after commit, claiming it with a lease.
"""

import json

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from postpay_portal import encryption

from .ids import LENGTH as EVENT_ID_LENGTH
from .ids import new_event_id

ALL_EVENTS = "*"


class EventType(models.TextChoices):
    """CONTRACT §4."""

    ORDER_CREATED = "order.created", "Order created"
    ORDER_STATUS_CHANGED = "order.status_changed", "Order status changed"
    MANUAL_OPERATION_CREATED = "manual_operation.created", "Manual operation created"
    MANUAL_OPERATION_DECIDED = "manual_operation.decided", "Manual operation decided"
    ACCOUNT_POSTPAY_PERMISSION_CHANGED = "account.postpay_permission_changed", "Account postpay permission changed"
    ACCOUNT_CREDIT_TERMS_CHANGED = "account.credit_terms_changed", "Account credit terms changed"
    SUBSCRIPTION_CREATED = "subscription.created", "Subscription created"
    SUBSCRIPTION_UPDATED = "subscription.updated", "Subscription updated"
    POSTPAY_SETTINGS_CHANGED = "postpay_settings.changed", "Postpay settings changed"
    # A test event an operator sends to one endpoint ("Send a test event"): no change
    # happened, so nothing subscribes to it and the events list shows it only when asked.
    PING = "ping", "Test event (ping)"


# The event types an endpoint subscribes to: every business event, not the test event.
SUBSCRIBABLE_TYPES = [value for value in EventType.values if value != EventType.PING]


class Event(models.Model):
    """One committed change, as the events API and the webhooks show it. Append-only."""

    id = models.CharField(primary_key=True, max_length=EVENT_ID_LENGTH, default=new_event_id, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    # What the event is about, for the operator portal's link (not part of the body).
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    # ``data`` as the JSON text written with the event. Text rather than a JSONField: jsonb
    # would re-sort the keys, and the body should read in the API's order.
    data_json = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]  # ids sort by the time they were written (events.ids)
        indexes = [models.Index(fields=["type", "id"]), models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.id} {self.type}"

    @cached_property
    def data(self):
        return json.loads(self.data_json)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Events are append-only (R34).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Events are append-only (R34).")


class WebhookEndpoint(models.Model):
    """A receiver of signed deliveries (CONTRACT §4). ``secret`` signs every delivery; for 24 h
    after a rotation ``previous_secret`` signs it too, and is then forgotten.

    Both are kept encrypted (``postpay_portal.encryption``, ``POSTPAY_ENCRYPTION_KEYS``): the
    columns hold Fernet tokens, and ``secret``/``previous_secret`` read and write the plain
    text, decrypting only when a delivery is signed or a new secret is shown once.
    """

    url = models.CharField("URL", max_length=2000)
    events = models.JSONField(default=list, help_text='Event types, or ["*"] for all of them.')
    description = models.CharField(max_length=500, blank=True, default="")
    active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return f"#{self.pk} {self.url}"

    def subscribes_to(self, event_type):
        return ALL_EVENTS in self.events or event_type in self.events

    @property
    def secret(self):
        return encryption.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value):
        self.secret_encrypted = encryption.encrypt(value)

    @property
    def previous_secret(self):
        return encryption.decrypt(self.previous_secret_encrypted) if self.previous_secret_encrypted else ""

    @previous_secret.setter
    def previous_secret(self, value):
        self.previous_secret_encrypted = encryption.encrypt(value) if value else ""

    def has_previous_secret(self, now):
        """Does the previous secret still sign (the 24 h after a rotation)?"""
        return bool(
            self.previous_secret_encrypted and self.previous_secret_expires_at and self.previous_secret_expires_at > now
        )

    def signing_secrets(self, now):
        """The current secret, and the previous one while it is still valid (rotation)."""
        secrets = [self.secret]
        if self.has_previous_secret(now):
            secrets.append(self.previous_secret)
        return secrets


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class WebhookDelivery(ConcurrentTransitionMixin, models.Model):
    """One event for one endpoint. ``pending`` until a 2xx answer (``succeeded``) or the last
    attempt (``failed``); redeliver and replay make it ``pending`` again.

    An attempt claims the delivery with a lease (``claimed_until``, ``claim_token``) inside a
    locked transaction and sends outside it: the task and the sweep never send it at the
    same time, and a worker killed mid-send leaves a lease that expires.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    status = FSMField(choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, protected=True)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="one_delivery_per_endpoint_and_event")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),  # the sweep
            models.Index(fields=["endpoint", "-created_at", "-id"]),  # an endpoint's deliveries, newest first
        ]

    def __str__(self):
        return f"Delivery #{self.pk} of {self.event_id}"

    def _release(self):
        self.claimed_until = None
        self.claim_token = None

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.SUCCEEDED)
    def succeed(self):
        self.delivered_at = timezone.now()
        self.next_attempt_at = None
        self._release()

    @transition(field=status, source=DeliveryStatus.PENDING, target=DeliveryStatus.FAILED)
    def give_up(self):
        self.next_attempt_at = None
        self._release()

    @transition(
        field=status,
        source=[DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED],
        target=DeliveryStatus.PENDING,
    )
    def requeue(self):
        """Redeliver or replay: a new series of attempts, now. A claim in flight is kept, so
        that two attempts never send at once; it records itself into the new series."""
        self.attempts = 0
        self.next_attempt_at = timezone.now()
