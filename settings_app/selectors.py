from django.db.models import Count, Subquery

from .models import PostpaySettings


def postpay_settings_get():
    """The settings row; it is created with its defaults on first read (R1)."""
    settings_row, _ = PostpaySettings.objects.get_or_create(pk=PostpaySettings.SINGLETON_PK)
    return settings_row


# The fields the gate reads (R1, R2), for reading them alongside another row.
GATE_FIELDS = ("postpaid_permission_mode", "trial_requires_approval")
ANNOTATION_PREFIX = "postpay_settings_"


def postpay_settings_annotations():
    """Annotations that read the settings row's gate fields in another query's statement:
    ``Plan.objects.annotate(**postpay_settings_annotations())`` (issue 11 item 6: one
    statement less on the order placement path)."""
    row = PostpaySettings.objects.filter(pk=PostpaySettings.SINGLETON_PK)
    return {ANNOTATION_PREFIX + field: Subquery(row.values(field)[:1]) for field in GATE_FIELDS}


def postpay_settings_from(annotated):
    """The settings as read by ``postpay_settings_annotations``: a read-only snapshot of the
    row, or the row itself (created with its defaults) when it did not exist yet."""
    values = {field: getattr(annotated, ANNOTATION_PREFIX + field) for field in GATE_FIELDS}
    if values["postpaid_permission_mode"] is None:
        return postpay_settings_get()
    return PostpaySettings(pk=PostpaySettings.SINGLETON_PK, **values)


def postpay_mode_impact():
    """R3: what a change of mode touches: accounts per permission status and held orders.

    Changing the mode changes none of them (R4); this is shown so the operator knows what
    becomes visible or invisible.
    """
    from accounts.models import Account, PostpayPermission
    from accounts.selectors import accounts_to_approve_before_manual
    from subscriptions.models import Order, OrderStatus

    counts = dict(Account.objects.values_list("postpay_permission").annotate(n=Count("id")).order_by())
    return {
        "accounts_by_status": {status.value: counts.get(status.value, 0) for status in PostpayPermission},
        "held_orders": Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count(),
        # R36b: their next renewal would be held (R9) once the mode is Manually.
        "to_approve_before_manual": accounts_to_approve_before_manual().count(),
    }
