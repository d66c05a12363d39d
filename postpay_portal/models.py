from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """CONTRACT §4: the first response to an ``Idempotency-Key`` of a user, replayed on a
    repeat with the same body.

    The unique (user, key) row is inserted in the same transaction as the order it guards:
    a concurrent repeat blocks on that insert until the first request commits, then reads
    the stored response — so one key never creates two orders.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_record_per_user_key")]

    def __str__(self):
        return f"{self.key} ({self.user_id})"
