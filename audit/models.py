from django.conf import settings
from django.db import models


class ObjectType(models.TextChoices):
    ACCOUNT = "account", "Account"
    ORDER = "order", "Order"
    MANUAL_OPERATION = "manual_operation", "Manual operation"
    POSTPAY_SETTINGS = "postpay_settings", "Postpay settings"
    WEBHOOK_ENDPOINT = "webhook_endpoint", "Webhook endpoint"


# The object types the REST audit log lists (CONTRACT §4); webhook endpoints' entries are
# read in the operator portal (decision 120), as are entries whose field is not a model
# field's name (CONTRACT §4: ``field`` is one): a customer login's creation on an account.
API_OBJECT_TYPES = [
    ObjectType.ACCOUNT,
    ObjectType.ORDER,
    ObjectType.MANUAL_OPERATION,
    ObjectType.POSTPAY_SETTINGS,
]
PORTAL_ONLY_FIELDS = ["customer_login"]


class AuditLogEntry(models.Model):
    """R29: one change of a status or a setting. Append-only: written by services only.

    ``from_value``/``to_value`` are stored values (``under_review``), not labels. An empty
    ``actor`` means the system (the worker, the sweep).
    """

    object_type = models.CharField(max_length=32, choices=ObjectType.choices)
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=64)
    # Text, not a short string: a setting may be a text of its own (``payment_instructions``).
    from_value = models.TextField(blank=True, null=True)
    to_value = models.TextField(blank=True, null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        # R29: an object's trail, newest first, read in its order from the index whatever the
        # size of the log (decision 99).
        indexes = [
            models.Index(fields=["object_type", "object_id", "at", "id"], name="audit_object_trail"),
            # The home page's "Your recent decisions": one login's latest entries, read in
            # their order whatever the size of the log.
            models.Index(fields=["actor", "at", "id"], name="audit_actor_recent"),
        ]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self):
        return f"{self.object_type} #{self.object_id} {self.field}: {self.from_value} → {self.to_value}"

    @property
    def actor_label(self):
        return self.actor.get_username() if self.actor_id else "system"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit log entries are append-only (R29).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit log entries are append-only (R29).")
