"""Row locks on orders and subscriptions (STYLE §2: account, then subscription, then order)."""

from .models import Order, Subscription


def order_qs_select_for_update():
    """Orders locked for this transaction; only the order's row when a query reads more."""
    return Order.objects.select_for_update(of=("self",))


def subscription_qs_select_for_update():
    return Subscription.objects.select_for_update(of=("self",))
