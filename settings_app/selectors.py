from django.db import connection
from django.db.models import Count

from .models import PostpaySettings


def postpay_settings_get():
    """The settings row; it is created with its defaults on first read (R1)."""
    settings_row, _ = PostpaySettings.objects.get_or_create(pk=PostpaySettings.SINGLETON_PK)
    return settings_row


# The fields the gate reads (R1, R2), for reading them alongside another row.
GATE_FIELDS = ("postpaid_permission_mode", "trial_requires_approval")
ANNOTATION_PREFIX = "postpay_settings_"


def with_postpay_settings(model, pk):
    """The row ``pk`` of ``model`` with the settings row's gate fields, in one statement
    (issue 11 item 6: one statement less on the order placement path), or None.

    Written as SQL once per call from the models' metadata: the same read through
    ``annotate(Subquery(…))`` spent a fifth of a placement's time in the ORM's compiler
    (pyinstrument, bench/profile_order_api.py).
    """
    meta, settings_meta = model._meta, PostpaySettings._meta
    quote = connection.ops.quote_name
    columns = ", ".join(f"m.{quote(field.column)}" for field in meta.concrete_fields)
    gate = ", ".join(
        f"s.{quote(settings_meta.get_field(field).column)} AS {quote(ANNOTATION_PREFIX + field)}"
        for field in GATE_FIELDS
    )
    sql = (
        f"SELECT {columns}, {gate} FROM {quote(meta.db_table)} m "
        f"LEFT JOIN {quote(settings_meta.db_table)} s ON s.{quote(settings_meta.pk.column)} = %s "
        f"WHERE m.{quote(meta.pk.column)} = %s"
    )
    return next(iter(model.objects.raw(sql, [PostpaySettings.SINGLETON_PK, pk])), None)


def postpay_settings_from(annotated):
    """The settings as read by ``with_postpay_settings``: a read-only snapshot of the row,
    or the row itself (created with its defaults) when it did not exist yet."""
    values = {field: getattr(annotated, ANNOTATION_PREFIX + field) for field in GATE_FIELDS}
    if values["postpaid_permission_mode"] is None:
        return postpay_settings_get()
    # A raw column comes as the database gives it (SQLite: a boolean as 0/1).
    values = {field: PostpaySettings._meta.get_field(field).to_python(value) for field, value in values.items()}
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
