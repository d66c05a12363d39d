"""Celery tasks: ids in, one service call (STYLE §3). Both run on the ``webhooks`` queue
(CELERY_TASK_ROUTES), so that a slow receiver never holds up provisioning."""

from celery import shared_task
from django.conf import settings

from .services import webhook_delivery_attempt, webhook_delivery_sweep, webhook_endpoints_forget_expired_secrets


@shared_task(
    name="events.deliver_webhook",
    acks_late=True,
    ignore_result=True,
    # The attempt bounds itself by WEBHOOK_TIMEOUT_SECONDS; these only stop a stuck worker,
    # before the lease (2 × timeout + 60 s by default) lets another attempt take the delivery.
    soft_time_limit=settings.WEBHOOK_TIMEOUT_SECONDS + 20,
    time_limit=settings.WEBHOOK_TIMEOUT_SECONDS + 40,
)
def deliver_webhook_task(delivery_id):
    """R34: one attempt; a failure schedules the next one itself (or leaves it to the sweep)."""
    webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="events.sweep_webhook_deliveries", acks_late=True, soft_time_limit=60, time_limit=90)
def sweep_webhook_deliveries_task():
    return webhook_delivery_sweep()


@shared_task(name="events.forget_expired_webhook_secrets", acks_late=True, soft_time_limit=60, time_limit=90)
def forget_expired_webhook_secrets_task():
    """R34: erase previous secrets whose 24 h are over, on endpoints that send nothing too."""
    return webhook_endpoints_forget_expired_secrets()
