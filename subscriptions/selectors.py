from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Sum

from accounts.models import Account, PostpayPermission
from postpay_portal.errors import NotFound

from . import order_tally
from .models import (
    BillingModel,
    Order,
    OrderStatus,
    OrderTally,
    Period,
    Plan,
    Subscription,
    failed_by_decline_q,
    open_order_q,
)


def plan_list():
    return Plan.objects.all()


def trial_used_plan_ids(account_id):
    """R47: the plans whose trial the account has used — a trial order that is open or
    completed. A cancelled or failed one does not count, except one failed by a permission
    decline: its customer reads it as held (R32), so it counts as open (``open_order_q``)."""
    used = Order.objects.filter(open_order_q() | Q(status=OrderStatus.COMPLETED), account_id=account_id)
    return set(used.filter(period=Period.TRIAL).order_by().values_list("plan_id", flat=True).distinct())


def _scoped(qs, user, account_id=None):
    """Customers see only their own account (R24); operators see all, optionally one."""
    if not getattr(user, "is_staff", False):
        qs = qs.filter(account_id=getattr(user, "account_id", None) or -1)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def customer_status_filter(status):
    """R24, R28: a customer's ``status`` filter matches the status they are shown: an order
    failed by a decline is ``waiting_for_approval``, never ``provisioning_failed``."""
    declined = failed_by_decline_q()
    if status == OrderStatus.WAITING_FOR_APPROVAL:
        return Q(status=status) | declined
    if status == OrderStatus.PROVISIONING_FAILED:
        return Q(status=status) & ~declined
    return Q(status=status)


def order_list(*, user, account_id=None, status=None):
    qs = _scoped(Order.objects.select_related("plan", "created_by", "approved_by", "account"), user, account_id)
    if status:
        qs = qs.filter(customer_status_filter(status) if not getattr(user, "is_staff", False) else Q(status=status))
    return qs


def order_counts_by_status():
    """Every status with its number of orders, from the tally the database keeps
    (``OrderTally``): a handful of rows, whatever the number of orders."""
    counts = dict.fromkeys(OrderStatus.values, 0)
    if order_tally.maintained(connection):
        rows = OrderTally.objects.order_by().values_list("status").annotate(n=Sum("delta"))
    else:
        rows = Order.objects.order_by().values_list("status").annotate(n=Count("pk"))
    counts.update((status, n) for status, n in rows if n)
    return counts


def order_count(*, user, account_id=None, status=None):
    """The exact number of orders ``order_list`` lists (CONTRACT §4's ``count``).

    Staff listing every account's orders, all or of one status, read the tally (three
    million orders took 300 ms to count, issue 11 item 7); one account's orders are few
    and counted, as are a customer's, whose ``status`` filter is the masked one (R24).
    """
    if getattr(user, "is_staff", False) and account_id is None:
        counts = order_counts_by_status()
        return counts[status] if status else sum(counts.values())
    return order_list(user=user, account_id=account_id, status=status).count()


def order_get(*, user, order_id):
    try:
        return order_list(user=user).get(pk=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such order.")


def subscription_list(*, user, account_id=None):
    return _scoped(Subscription.objects.select_related("plan", "account"), user, account_id)


def subscription_get(*, user, subscription_id):
    try:
        return subscription_list(user=user).get(pk=subscription_id)
    except (Subscription.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such subscription.")


def open_order_for_subscription(subscription):
    """R23, R32: the order that holds the subscription, as ``open_order_q`` counts it."""
    return subscription.orders.filter(open_order_q()).order_by("-created_at", "-id").first()


def accounts_to_approve_before_manual(queryset=None):
    """R36b: accounts not reviewed (``none``) that already have a subscription on a postpaid
    plan — R9 would hold each one's next renewal once the mode is Manually."""
    postpaid = Subscription.objects.filter(account=OuterRef("pk"), plan__billing_model=BillingModel.POSTPAY)
    queryset = Account.objects.all() if queryset is None else queryset
    return queryset.filter(Exists(postpaid), postpay_permission=PostpayPermission.NONE)
