import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

from .broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postpay_portal.settings")

register_embedded_broker()  # filesystem:// writes whole messages (postpay_portal/broker.py)

app = Celery("postpay_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# R35: each task's log lines carry its task_id, and the request_id/user_id of the request
# that enqueued it (django-structlog carries them in the message headers).
app.steps["worker"].add(DjangoStructLogInitStep)
