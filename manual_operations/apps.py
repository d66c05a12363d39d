from django.apps import AppConfig


class ManualOperationsConfig(AppConfig):
    name = "manual_operations"
    verbose_name = "Manual operations"
