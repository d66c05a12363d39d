from celery import shared_task

from .notifications import notify_managers_operation_created


@shared_task(
    name="manual_operations.notify_managers",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def notify_managers_task(operation_id):
    """R19; e-mail is not a state change, so a duplicate delivery at worst repeats a mail."""
    return notify_managers_operation_created(operation_id)
