from django.apps import AppConfig


class ManualOperationsConfig(AppConfig):
    name = "manual_operations"
    verbose_name = "Manual operations"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .groups import ensure_postpay_managers_group

        post_migrate.connect(ensure_postpay_managers_group, sender=self)
