from celery import shared_task

from postpay_portal.mail import MAIL_TASK_OPTIONS

from .notifications import notify_managers_operation_created


@shared_task(name="manual_operations.notify_managers", **MAIL_TASK_OPTIONS)
def notify_managers_task(operation_id):
    """R19; e-mail is not a state change, so a duplicate delivery at worst repeats a mail."""
    return notify_managers_operation_created(operation_id)
