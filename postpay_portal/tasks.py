"""Celery tasks of the operations housekeeping (STYLE §3): one service call each."""

from celery import shared_task

from .models import Heartbeat
from .services import heartbeat_record, idempotency_records_purge


@shared_task(name="postpay_portal.worker_heartbeat", acks_late=True, soft_time_limit=10, time_limit=20)
def worker_heartbeat_task():
    """R35: beat schedules it, any worker runs it; /readyz/ reads when one last did."""
    heartbeat_record(name=Heartbeat.Name.WORKER)


@shared_task(name="postpay_portal.purge_idempotency_records", acks_late=True, soft_time_limit=300, time_limit=360)
def purge_idempotency_records_task():
    """CONTRACT §2: keys older than IDEMPOTENCY_TTL_HOURS are forgotten."""
    return idempotency_records_purge()
