import os

from celery import Celery

from .broker import register as register_embedded_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postpay_portal.settings")

register_embedded_broker()  # filesystem:// writes whole messages (postpay_portal/broker.py)

app = Celery("postpay_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
