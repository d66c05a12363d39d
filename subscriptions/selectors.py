from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Account, PostpayPermission
from postpay_portal.errors import NotFound

from . import order_tally
from .credit import ZERO
from .models import (
    BillingModel,
    Order,
    OrderStatus,
    OrderTally,
    OrderType,
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

    Staff listing every account's orders, all or of one status, read the tally (decision
    109: counting millions of orders a page is not exact-and-fast); one account's orders are few
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


# --- R38: commitment --------------------------------------------------------------------------

_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def _postpaid(price_path, billing_model_path):
    return Case(When(**{billing_model_path: BillingModel.POSTPAY}, then=F(price_path)), default=Value(ZERO))


def _open_order_increase():
    """``credit.order_increase`` for stored open orders, as one SQL expression (R38)."""
    counted = Case(
        When(
            subscription__period=Period.COMMERCIAL,
            subscription__plan__billing_model=BillingModel.POSTPAY,
            then=F("subscription__plan__price"),
        ),
        default=Value(ZERO),
    )
    return Case(
        When(type=OrderType.NEW, period=Period.COMMERCIAL, then=_postpaid("price", "plan__billing_model")),
        When(type=OrderType.SWITCH, then=_postpaid("price", "plan__billing_model") - counted),
        When(type=OrderType.RENEWAL, subscription__period=Period.TRIAL, then=_postpaid("price", "plan__billing_model")),
        default=Value(ZERO),
        output_field=_AMOUNT,
    )


def commitment_expression():
    """R38: what an account's postpaid subscriptions in a commercial period would cost per
    billing period once every open order completes — from its subscriptions and its open
    orders (``open_order_q``, read through the partial index ``order_open_by_account``), for
    the account of the outer query. Never stored (decision 121)."""
    subscriptions = (
        Subscription.objects.filter(
            account=OuterRef("pk"), period=Period.COMMERCIAL, plan__billing_model=BillingModel.POSTPAY
        )
        .order_by()
        .values("account")
        .annotate(total=Sum("plan__price"))
        .values("total")
    )
    orders = (
        Order.objects.filter(open_order_q(), account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum(_open_order_increase()))
        .values("total")
    )
    return ExpressionWrapper(
        Coalesce(Subquery(subscriptions, output_field=_AMOUNT), Value(ZERO))
        + Coalesce(Subquery(orders, output_field=_AMOUNT), Value(ZERO)),
        output_field=_AMOUNT,
    )


def accounts_with_commitment(queryset=None):
    """The accounts with ``postpaid_commitment`` (R38): the one selector every face asks — the
    credit check, the account page and list, the API, the customer's view."""
    queryset = Account.objects.all() if queryset is None else queryset
    return queryset.annotate(postpaid_commitment=commitment_expression())


def account_commitment(account_id) -> Decimal:
    """R38 for one account, in one aggregate query."""
    value = accounts_with_commitment(Account.objects.filter(pk=account_id)).values_list(
        "postpaid_commitment", flat=True
    )
    return Decimal(value.get()).quantize(Decimal("0.01"))


def open_credit_review_exists(account_id) -> bool:
    """R40: an open credit review of the account (the constraint's index answers it)."""
    from manual_operations.models import ManualOperation, OperationStatus, OperationType

    return ManualOperation.objects.filter(
        account_id=account_id, status=OperationStatus.APPROVAL_REQUIRED, operation=OperationType.CREDIT_REVIEW
    ).exists()
