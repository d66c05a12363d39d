from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from audit.models import AuditLogEntry, ObjectType
from subscriptions.models import BillingModel, Order, Period, Subscription
from subscriptions.visibility import account_credit_figures

from .models import ManualOperation, OperationType


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
    # R43: for a credit review, the account's terms and figures today (the snapshot holds them
    # as of the hold); None for a permission operation.
    credit: object = None
    credit_review_on: date | None = None
    payment_hold: bool = False

    @property
    def account_age(self) -> timedelta:
        return timezone.now() - self.account_created_at


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
    exposure = Exposure(
        account_created_at=account.created_at,
        subscriptions=subscriptions,
        monthly_postpaid_total=monthly,
        held_order_price=operation.order.price if operation.order_id is not None else None,  # R36: none held
        earlier_orders=list(earlier[:20]),
    )
    if operation.operation == OperationType.CREDIT_REVIEW:
        exposure.credit = account_credit_figures(account)
        exposure.credit_review_on, exposure.payment_hold = account.credit_review_on, account.payment_hold
    return exposure


# An account's entry of a review asked in advance is written in the transaction that opened
# the operation: within this much of its creation.
SAME_TRANSACTION = timedelta(minutes=1)


def operation_history(operation: ManualOperation, limit: int = 200):
    """R29: what happened to an operation — its own entries, its held order's, and the
    entries of its account that it caused (the first gated order or the review asked in
    advance that opened it, its decision) — newest first, in one query."""
    caused = Q(reason__startswith=f"manual operation #{operation.pk} ")
    if operation.order_id is not None:
        caused |= Q(reason=f"first gated order #{operation.order_id}")
    else:
        caused |= Q(
            reason="postpaid ordering asked in advance",
            at__gte=operation.created_at - SAME_TRANSACTION,
            at__lte=operation.created_at + SAME_TRANSACTION,
        )
    entries = Q(object_type=ObjectType.MANUAL_OPERATION, object_id=operation.pk) | Q(
        Q(object_type=ObjectType.ACCOUNT, object_id=operation.account_id) & caused
    )
    if operation.order_id is not None:
        entries |= Q(object_type=ObjectType.ORDER, object_id=operation.order_id)
    return list(AuditLogEntry.objects.filter(entries).select_related("actor").order_by("-at", "-id")[:limit])
