from django.apps import AppConfig
from django.db.models.signals import post_migrate


def reinstall_order_tally(using, **kwargs):
    """SQLite loses a table's triggers when a migration rebuilds it: put them back (and
    recount) after every ``migrate`` that left one missing (``order_tally.install``)."""
    from django.db import connections

    from . import order_tally

    order_tally.install(connections[using])


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions and orders"

    def ready(self):
        post_migrate.connect(reinstall_order_tally, sender=self, dispatch_uid="subscriptions.reinstall_order_tally")
