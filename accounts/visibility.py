"""The customer's view of a decline: the one place it is masked (SPEC R6, R24, R28, R32).

Every face — portal templates, API serializers, e-mails, error codes — asks these
functions; none decides masking on its own. R32 makes the mask a property: an order failed
by a decline is, for every rule a customer can observe, the held order it appears to be —
its status, its filters, and whether it is open (R23).
"""

from django.db.models import Q

from .models import PostpayPermission

CUSTOMER_UNDER_REVIEW_TEXT = "Your account is under review for postpaid ordering"
CUSTOMER_UNDER_REVIEW_LABEL = "Under review"
ORDER_FAILED_BY_DECLINE = "postpay_declined"
# R22, finding 7: a provisioning failure that is not a decline reads the same for every
# customer; the stored error (host names, provisioner internals) is for operators only.
CUSTOMER_PROVISIONING_FAILED_TEXT = "Setting up the subscription failed. Our team has been notified and will retry it."


def customer_visible_status(obj):
    """The status a customer is shown for an account or an order.

    A declined account reads ``under_review``; an order held for approval or failed by a
    decline reads ``waiting_for_approval``.
    """
    if hasattr(obj, "postpay_permission"):
        if obj.postpay_permission == PostpayPermission.DECLINED:
            return PostpayPermission.UNDER_REVIEW.value
        return obj.postpay_permission
    from subscriptions.models import OrderStatus

    if is_order_failed_by_decline(obj):
        return OrderStatus.WAITING_FOR_APPROVAL.value
    return obj.status


def customer_order_status_label(value):
    """The words a customer reads for an order status they are shown (R24: a held order,
    and one failed by a decline, read "Under review")."""
    from subscriptions.models import OrderStatus

    if value == OrderStatus.WAITING_FOR_APPROVAL:
        return CUSTOMER_UNDER_REVIEW_LABEL
    return OrderStatus(value).label


def _customer_order_filters():
    """The customer portal's order status filter: the customer's word → the status it shows.
    The words are the customer's, never a stored status name a decline sits in (R6)."""
    from subscriptions.models import OrderStatus

    return {
        "waiting_for_payment": OrderStatus.WAITING_FOR_PAYMENT,
        "under_review": OrderStatus.WAITING_FOR_APPROVAL,
        "provisioning": OrderStatus.PROVISIONING,
        "failed": OrderStatus.PROVISIONING_FAILED,
        "completed": OrderStatus.COMPLETED,
        "cancelled": OrderStatus.CANCELLED,
    }


def customer_order_filter_choices():
    """The statuses a customer can filter their orders by, in their words (R24, R28)."""
    return [(word, customer_order_status_label(status)) for word, status in _customer_order_filters().items()]


def customer_order_filter_status(word):
    """The shown status a filter word selects, or None. Its matching is
    ``subscriptions.selectors.customer_status_filter``: "Under review" matches an order
    failed by a decline, "Provisioning failed" never does (R24, R32)."""
    return _customer_order_filters().get(word)


def customer_visible_failure_reason(order):
    """R6, R24: none for an order failed by a decline (it reads as held); a plain sentence for
    any other failure, never the stored error."""
    from subscriptions.models import OrderStatus

    if is_order_failed_by_decline(order) or order.status != OrderStatus.PROVISIONING_FAILED:
        return None
    return CUSTOMER_PROVISIONING_FAILED_TEXT


def customer_sees_under_review(account):
    """R27: the banner shows while the mode is Manually and the account is held or declined."""
    return customer_visible_status(account) == PostpayPermission.UNDER_REVIEW


def customer_may_ask_for_review(account, settings_row):
    """R36a: the portal offers "Ask for postpaid ordering" while the mode is Manually and the
    account has not been reviewed; a declined account reads as under review, so it is never
    offered the action again (R32)."""
    return settings_row.is_manual and customer_visible_status(account) == PostpayPermission.NONE


def is_order_failed_by_decline(order):
    from subscriptions.models import OrderStatus

    return order.status == OrderStatus.PROVISIONING_FAILED and order.failure_reason == ORDER_FAILED_BY_DECLINE


def failed_by_decline_q():
    from subscriptions.models import OrderStatus

    return Q(status=OrderStatus.PROVISIONING_FAILED, failure_reason=ORDER_FAILED_BY_DECLINE)


def open_order_q():
    """R23, R32: the orders that hold their subscription ("only one open order per
    subscription": ``order_in_progress``).

    Open are the statuses of R23, and an order failed by a decline: its customer reads it as
    held (R24), so it must hold its subscription exactly as a held order does, or a renewal
    or switch would succeed after a decline and fail while under review — the decline would
    show. It holds for operators too, so that no operator action on the customer's behalf
    reveals the difference either (docs/decisions.md).
    """
    from subscriptions.models import OPEN_ORDER_STATUSES

    return Q(status__in=OPEN_ORDER_STATUSES) | failed_by_decline_q()


def refusal_for(actor, account_status):
    """R10: the error a gated order of a held or declined account raises for this actor."""
    from .errors import PostpayDeclined, PostpayUnderReview

    if account_status == PostpayPermission.DECLINED and getattr(actor, "is_staff", False):
        return PostpayDeclined()
    return PostpayUnderReview()
