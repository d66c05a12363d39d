"""The customer's view of a decline: the one place it is masked (SPEC R6, R24, R28).

Every face — portal templates, API serializers, e-mails, error codes — asks these
functions; none decides masking on its own.
"""

from .models import PostpayPermission

CUSTOMER_UNDER_REVIEW_TEXT = "Your account is under review for postpaid ordering"
ORDER_FAILED_BY_DECLINE = "postpay_declined"


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


def customer_visible_failure_reason(order):
    return None if is_order_failed_by_decline(order) else (order.failure_reason or None)


def customer_sees_under_review(account):
    """R27: the banner shows while the mode is Manually and the account is held or declined."""
    return customer_visible_status(account) == PostpayPermission.UNDER_REVIEW


def is_order_failed_by_decline(order):
    from subscriptions.models import OrderStatus

    return order.status == OrderStatus.PROVISIONING_FAILED and order.failure_reason == ORDER_FAILED_BY_DECLINE


def refusal_for(actor, account_status):
    """R10: the error a gated order of a held or declined account raises for this actor."""
    from .errors import PostpayDeclined, PostpayUnderReview

    if account_status == PostpayPermission.DECLINED and getattr(actor, "is_staff", False):
        return PostpayDeclined()
    return PostpayUnderReview()
