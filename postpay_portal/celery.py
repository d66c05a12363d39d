import os

import structlog
from celery import Celery, bootsteps
from celery.signals import task_postrun

from .broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postpay_portal.settings")

register_embedded_broker()  # filesystem:// writes whole messages (postpay_portal/broker.py)


app = Celery("postpay_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class TaskLogContext(bootsteps.Step):
    """R35: each task's log lines carry its ``task_id``, and the ``request_id``/``user_id`` of
    the request that enqueued it (django-structlog carries them in the message headers).

    django-structlog's own step would also connect its publishing receivers; the one that
    puts the request's context in the headers is connected in ``apps.py`` (the other would
    log every enqueue as a line of its own). And its context outlived the task, so the
    worker's next "received" line carried the previous task's id: it is cleared when a task
    ends.
    """

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        from celery.signals import (
            task_failure,
            task_prerun,
            task_rejected,
            task_retry,
            task_revoked,
            task_success,
            task_unknown,
        )
        from django_structlog.celery.receivers import CeleryReceiver

        receiver = self.receiver = CeleryReceiver()
        task_prerun.connect(receiver.receiver_task_prerun)
        task_retry.connect(receiver.receiver_task_retry)
        task_success.connect(receiver.receiver_task_success)
        task_failure.connect(receiver.receiver_task_failure)
        task_revoked.connect(receiver.receiver_task_revoked)
        task_unknown.connect(receiver.receiver_task_unknown)
        task_rejected.connect(receiver.receiver_task_rejected)
        task_postrun.connect(_clear_log_context)


def _clear_log_context(**kwargs):
    structlog.contextvars.clear_contextvars()


app.steps["worker"].add(TaskLogContext)
