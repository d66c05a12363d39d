from django.apps import AppConfig


class PostpayPortalConfig(AppConfig):
    name = "postpay_portal"
    verbose_name = "Postpay Portal"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .groups import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)

        from .metrics import register_domain_collector

        register_domain_collector()  # R35: /metrics reads the domain figures at scrape time
