import os
from collections.abc import Mapping

import structlog
from celery import Celery, bootsteps
from celery.signals import task_postrun

from .broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postpay_portal.settings")

register_embedded_broker()  # filesystem:// writes whole messages (postpay_portal/broker.py)


class DjangoCelerySettings(Mapping):
    """Django's ``CELERY_*`` settings, read once, the first time Celery reads its
    configuration (Django's settings are loaded by then).

    Given ``django.conf:settings`` itself, Celery looked up some 26 keys through Django's
    lazy settings object on every enqueue, most of them missing (an AttributeError each):
    a quarter of a task's publishing time (cProfile, issue 11 item 6). A test or a command
    that changes the broker after start changes ``app.conf``, as ``tests.conftest`` does.
    """

    def __init__(self):
        self._values = None

    def _read(self):
        if self._values is None:
            from django.conf import settings

            self._values = {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}
        return self._values

    def __getitem__(self, key):
        return self._read()[key]

    def __iter__(self):
        return iter(self._read())

    def __len__(self):
        return len(self._read())


app = Celery("postpay_portal")
app.config_from_object(DjangoCelerySettings(), namespace="CELERY")
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
