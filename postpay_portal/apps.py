from django.apps import AppConfig


class PostpayPortalConfig(AppConfig):
    name = "postpay_portal"
    verbose_name = "Postpay Portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .ids import register_id_converter

        register_id_converter()  # R31: ``<id:pk>`` in every URLconf, read after ready()

        from .groups import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)

        from django.contrib.auth.signals import user_logged_in

        from .staff_sessions import start_staff_session

        user_logged_in.connect(start_staff_session, dispatch_uid="postpay_portal.staff_session")

        from .metrics import register_domain_collector

        register_domain_collector()  # R35: /metrics reads the domain figures at scrape time

        from celery.signals import before_task_publish
        from django_structlog.celery.receivers import CeleryReceiver

        # R35: a task inherits the request id and user of the request that enqueued it
        # (django-structlog puts them in the message's headers). Only this half of its
        # publishing receivers: the other logs every enqueue as a line of its own
        # ("task_enqueued"), which the task's own lines, carrying that request id and their
        # task id, already tell — a tenth of an order placement's logging time.
        before_task_publish.connect(
            CeleryReceiver().receiver_before_task_publish, weak=False, dispatch_uid="postpay_portal.task_log_context"
        )
