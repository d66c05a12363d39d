from django.apps import AppConfig


class PostpayPortalConfig(AppConfig):
    name = "postpay_portal"
    verbose_name = "Postpay Portal"

    def ready(self):
        from .metrics import register_domain_collector

        register_domain_collector()  # R35: /metrics reads the domain figures at scrape time
