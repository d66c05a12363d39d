"""Setup through real actions (STYLE §7)."""

from manual_operations.models import ManualOperation
from subscriptions.models import Order, Subscription
from subscriptions.services import order_place


def place(actor, plan, period="commercial", account=None):
    account_id = account.pk if account is not None else actor.account_id
    return order_place(actor=actor, account_id=account_id, plan_id=plan.pk, period=period)


def counts():
    """What a refusal must leave unchanged."""
    return (Order.objects.count(), ManualOperation.objects.count(), Subscription.objects.count())
