"""Celery tasks: ids in, one service call (STYLE §3)."""

import random

import structlog
from celery import shared_task
from django.conf import settings

from postpay_portal.mail import MAIL_TASK_OPTIONS
from postpay_portal.models import Heartbeat
from postpay_portal.services import heartbeat_record

from .services.provisioning import (
    TRANSIENT_ERRORS,
    enqueue_provisioning,
    order_fail_provisioning,
    order_provision,
    provisioning_sweep,
)
from .services.tally import order_tally_compact


def retry_countdown(retries):
    """Exponential backoff with jitter: 2 s, 4 s, 8 s … capped at 5 minutes."""
    base = settings.PROVISIONING_RETRY_BACKOFF_SECONDS * (2**retries)
    return min(base, 300) * random.uniform(0.8, 1.2)


@shared_task(
    bind=True,
    name="subscriptions.provision_order",
    acks_late=True,
    max_retries=None,
    soft_time_limit=settings.PROVISIONING_LEASE_SECONDS * 0.5,
    time_limit=settings.PROVISIONING_LEASE_SECONDS * 0.75,
)
def provision_order_task(self, order_id):
    """R22: idempotent; transient errors retry with backoff, the last one fails the order."""
    with structlog.contextvars.bound_contextvars(order_id=order_id):  # R35: every log line names it
        try:
            order_provision(order_id=order_id)
        except TRANSIENT_ERRORS as exc:
            if self.request.retries >= settings.PROVISIONING_MAX_RETRIES:
                order_fail_provisioning(order_id=order_id, error=f"{type(exc).__name__}: {exc}")
                return
            raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries))


@shared_task(name="subscriptions.enqueue_provisioning", acks_late=True)
def enqueue_provisioning_task(order_ids):
    """A bulk approval's orders, one provisioning task each (R15, R22). Sending twice is
    harmless: provisioning claims an order once."""
    for order_id in order_ids:
        enqueue_provisioning(order_id)


@shared_task(name="subscriptions.sweep_provisioning", acks_late=True, soft_time_limit=60, time_limit=90)
def sweep_provisioning_task():
    stuck = provisioning_sweep()
    # R35: /readyz/ is unready when the sweep has not run for three of its intervals.
    heartbeat_record(name=Heartbeat.Name.PROVISIONING_SWEEP)
    return stuck


@shared_task(name="subscriptions.compact_order_tally", acks_late=True, soft_time_limit=300, time_limit=360)
def compact_order_tally_task():
    """Keep the order counts' tally a handful of rows (``OrderTally``)."""
    return order_tally_compact()


@shared_task(name="subscriptions.notify_customer_held", **MAIL_TASK_OPTIONS)
def notify_customer_order_held_task(order_id):
    """R39: e-mail is not a state change, so a duplicate delivery at worst repeats a mail."""
    from .notifications import notify_customer_order_held

    return notify_customer_order_held(order_id)
