"""Readiness (R35, CONTRACT §3 ``/readyz/``): can this installation do its work right now?

Four checks, each ``"ok"`` or a short sentence saying why not:

- ``database``: a ``SELECT 1`` answers (PostgreSQL connects within ``DATABASE_CONNECT_TIMEOUT``);
- ``broker``: a connection to the Celery broker opens within ``READYZ_BROKER_TIMEOUT_SECONDS``;
- ``worker``: some worker ran the heartbeat task (scheduled by beat every
  ``WORKER_HEARTBEAT_INTERVAL_SECONDS``) in the last ``READYZ_WORKER_MAX_AGE_SECONDS`` (60 s);
- ``scheduler``: the provisioning sweep ran within three of its intervals
  (``PROVISIONING_SWEEP_INTERVAL_SECONDS``).

The last two read rows the workers write (``postpay_portal.models.Heartbeat``), so every web
process answers the same. A sentence names only what failed, never a host or a password;
the error itself goes to the log.
"""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import Heartbeat

logger = structlog.get_logger(__name__)

OK = "ok"
CHECKS = ("database", "broker", "worker", "scheduler")


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readyz_database_failed", error=str(exc))
        return f"the database does not answer ({type(exc).__name__})"
    return OK


def check_broker():
    """Open a connection to the broker the Celery app is configured with, briefly."""
    from postpay_portal.celery import app

    timeout = settings.READYZ_BROKER_TIMEOUT_SECONDS
    try:
        with app.connection_for_write(connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:  # kombu raises its own, redis', or OS errors: all mean "down"
        logger.warning("readyz_broker_failed", error=str(exc))
        return f"the Celery broker does not answer ({type(exc).__name__})"
    return OK


def _heartbeats():
    return dict(Heartbeat.objects.filter(name__in=Heartbeat.Name.values).values_list("name", "last_seen_at"))


def _age_check(last_seen, now, limit, *, never, stale):
    if last_seen is None:
        return never
    age = (now - last_seen).total_seconds()
    if age > limit.total_seconds():
        return stale.format(age=max(age, 0), limit=limit.total_seconds())
    return OK


def check_worker(beats, now):
    return _age_check(
        beats.get(Heartbeat.Name.WORKER),
        now,
        timedelta(seconds=settings.READYZ_WORKER_MAX_AGE_SECONDS),
        never="no Celery worker has run the heartbeat task yet",
        stale="no Celery worker has shown a sign of life for {age:.0f} s (limit {limit:.0f} s)",
    )


def check_scheduler(beats, now):
    interval = settings.PROVISIONING_SWEEP_INTERVAL_SECONDS
    return _age_check(
        beats.get(Heartbeat.Name.PROVISIONING_SWEEP),
        now,
        timedelta(seconds=3 * interval),
        never="the provisioning sweep has not run yet",
        stale=(
            "the provisioning sweep has not run for {age:.0f} s "
            f"(limit {{limit:.0f}} s: three of its {interval:g} s intervals)"
        ),
    )


def readiness():
    """``(ready, checks)``: each check is ``"ok"`` or why not."""
    checks = {"database": check_database(), "broker": check_broker()}
    if checks["database"] == OK:
        try:
            beats = _heartbeats()
        except DatabaseError as exc:
            logger.warning("readyz_heartbeats_failed", error=str(exc))
            beats = None
    else:
        beats = None
    if beats is None:
        checks["worker"] = checks["scheduler"] = "unknown: the database does not answer"
    else:
        now = timezone.now()
        checks["worker"] = check_worker(beats, now)
        checks["scheduler"] = check_scheduler(beats, now)
    return all(value == OK for value in checks.values()), {name: checks[name] for name in CHECKS}
