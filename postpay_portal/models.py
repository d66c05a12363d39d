from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


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
        # The purge of expired records (IDEMPOTENCY_TTL_HOURS) reads the oldest first.
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_at")]

    def __str__(self):
        return f"{self.key} ({self.user_id})"

    def is_expired(self, now=None):
        """CONTRACT §2: a key is remembered for IDEMPOTENCY_TTL_HOURS, then it is new again."""
        return self.created_at <= (now or timezone.now()) - idempotency_ttl()


def idempotency_ttl():
    return timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


class Heartbeat(models.Model):
    """R35: when a recurring piece of the system last showed a sign of life.

    One row per name, written by the worker that ran the work (the heartbeat task, each run
    of the provisioning sweep) and read by /readyz/ in every web process.
    """

    class Name(models.TextChoices):
        WORKER = "worker", "A Celery worker ran the heartbeat task"
        PROVISIONING_SWEEP = "provisioning_sweep", "The provisioning sweep ran"

    name = models.CharField(max_length=64, primary_key=True, choices=Name.choices)
    last_seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
