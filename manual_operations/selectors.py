from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from subscriptions.models import BillingModel, Order, Period, Subscription

from .models import ManualOperation


def manual_operation_list(*, status=None, account_id=None, operation=None):
    qs = ManualOperation.objects.select_related(
        "account", "account__manager", "account__account_class", "order", "order__plan", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if operation:
        qs = qs.filter(operation=operation)
    return qs


def latest_operation_for_account(account_id):
    return manual_operation_list(account_id=account_id).order_by("-created_at", "-id").first()


@dataclass
class Exposure:
    """R17: the exposure card — what approving this account puts at stake."""

    account_created_at: datetime
    subscriptions: list
    monthly_postpaid_total: Decimal
    held_order_price: Decimal | None
    earlier_orders: list


def exposure_for(operation: ManualOperation) -> Exposure:
    account = operation.account
    subscriptions = list(
        Subscription.objects.filter(account=account).select_related("plan").order_by("-started_at")[:20]
    )
    monthly = Subscription.objects.filter(
        account=account, plan__billing_model=BillingModel.POSTPAY, period=Period.COMMERCIAL
    ).aggregate(total=Sum("plan__price"))["total"] or Decimal("0.00")
    earlier = Order.objects.filter(account=account).select_related("plan").order_by("-created_at")
    if operation.order_id is not None:
        earlier = earlier.exclude(pk=operation.order_id)
    return Exposure(
        account_created_at=account.created_at,
        subscriptions=subscriptions,
        monthly_postpaid_total=monthly,
        held_order_price=operation.order.price if operation.order_id is not None else None,  # R36: none held
        earlier_orders=list(earlier[:20]),
    )
