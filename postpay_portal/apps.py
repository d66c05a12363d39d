from django.apps import AppConfig


class PostpayPortalConfig(AppConfig):
    name = "postpay_portal"
    verbose_name = "Postpay Portal"
