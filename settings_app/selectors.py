from django.db.models import Count

from .models import PostpaySettings


def postpay_settings_get():
    """The settings row; it is created with its defaults on first read (R1)."""
    settings_row, _ = PostpaySettings.objects.get_or_create(pk=PostpaySettings.SINGLETON_PK)
    return settings_row


def postpay_mode_impact():
    """R3, R43: what a change of mode touches: accounts per permission status, held orders,
    approved accounts with credit terms (checked only in mode Manually) and open credit
    reviews (they stay open whatever the mode, R4).

    Changing the mode changes none of them (R4); this is shown so the operator knows what
    becomes visible or invisible.
    """
    from accounts.models import CREDIT_TERMS_Q, Account, PostpayPermission
    from manual_operations.models import ManualOperation, OperationStatus, OperationType
    from subscriptions.models import Order, OrderStatus
    from subscriptions.selectors import accounts_to_approve_before_manual

    counts = dict(Account.objects.values_list("postpay_permission").annotate(n=Count("id")).order_by())
    return {
        "accounts_by_status": {status.value: counts.get(status.value, 0) for status in PostpayPermission},
        "held_orders": Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count(),
        # R36b: their next renewal would be held (R9) once the mode is Manually.
        "to_approve_before_manual": accounts_to_approve_before_manual().count(),
        "accounts_with_terms": Account.objects.filter(CREDIT_TERMS_Q, postpay_permission=PostpayPermission.APPROVED)
        .order_by()
        .count(),
        "open_credit_reviews": ManualOperation.objects.filter(
            status=OperationStatus.APPROVAL_REQUIRED, operation=OperationType.CREDIT_REVIEW
        ).count(),
    }
