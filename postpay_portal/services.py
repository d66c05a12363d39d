"""Operations housekeeping (R35, CONTRACT §2): heartbeats and expired idempotency keys."""

from datetime import datetime

import structlog
from django.db.models import Subquery
from django.utils import timezone

from .models import Heartbeat, IdempotencyRecord, idempotency_ttl

logger = structlog.get_logger(__name__)

PURGE_BATCH = 5000


def heartbeat_record(*, name: str, now: datetime | None = None) -> None:
    """Record a sign of life: one upsert statement, so that concurrent workers never clash."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, last_seen_at=now or timezone.now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["last_seen_at"],
    )


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Delete the records older than ``IDEMPOTENCY_TTL_HOURS``, in bounded batches.

    The outer filter repeats the age condition: a record that a repeat request renewed
    meanwhile (it is locked and rewritten by ``postpay_portal.api.idempotency``) is re-checked
    by PostgreSQL after that request commits and is then kept. Returns the number deleted.
    """
    cutoff = (now or timezone.now()) - idempotency_ttl()
    expired = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    deleted = 0
    while True:
        batch = expired.order_by("created_at").values("pk")[:PURGE_BATCH]
        count, _ = expired.filter(pk__in=Subquery(batch)).delete()
        deleted += count
        if count < PURGE_BATCH:
            break
    if deleted:
        logger.info("idempotency_records_purged", deleted=deleted)
    return deleted
