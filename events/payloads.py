"""What an event says about the object it is about (CONTRACT §4, R34): plain functions, one
per object type, as staff see the object — true statuses, the failure reason kept — in the
shape of the REST API's answer for the same object (a test holds each to its endpoint).

Events are never shown to customers, so nothing here masks a decline (R6).
"""

import json
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone


def _time(value):
    """ISO 8601 in the installation's time zone, ``Z`` for UTC, as the API writes times."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _amount(value):
    """A decimal string with two places (``"12.50"``)."""
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _username(user):
    return user.get_username() if user is not None else None


CREDIT_FIELDS = ("postpaid_limit", "credit_review_on", "payment_hold")


def _credit_terms(limit, review_on, hold):
    return {
        "postpaid_limit": _amount(limit),
        "credit_review_on": review_on.isoformat() if review_on is not None else None,
        "payment_hold": hold,
    }


def account_payload(account):
    """The account with its credit terms and its commitment (R37, R38): the commitment the
    account was read with (``accounts_with_commitment``), else read now."""
    from subscriptions.selectors import account_commitment

    commitment = getattr(account, "postpaid_commitment", None)

    return {
        "id": account.pk,
        "name": account.name,
        "email": account.email,
        "account_class": account.account_class.name if account.account_class_id else None,
        "manager": _username(account.manager) if account.manager_id else None,
        "postpay_permission": account.postpay_permission,
        "created_at": _time(account.created_at),
        **_credit_terms(account.postpaid_limit, account.credit_review_on, account.payment_hold),
        "postpaid_commitment": _amount(commitment if commitment is not None else account_commitment(account.pk)),
    }


def credit_terms_before(account_data, changes, *, created):
    """``from`` of ``account.credit_terms_changed``: the three terms before the change — the
    unchanged ones as they are, all null for an account created with terms (CONTRACT §4)."""
    if created:
        return dict.fromkeys(CREDIT_FIELDS)
    now = {field: account_data[field] for field in CREDIT_FIELDS}
    before = _credit_terms(*(changes[field][0] if field in changes else None for field in CREDIT_FIELDS))
    return {field: before[field] if field in changes else now[field] for field in CREDIT_FIELDS}


def order_payload(order):
    return {
        "id": order.pk,
        "type": order.type,
        "account": order.account_id,
        "plan": order.plan_id,
        "period": order.period,
        "price": _amount(order.price),
        "currency": settings.POSTPAY_CURRENCY,
        "status": order.status,
        "failure_reason": order.failure_reason or None,
        "subscription": order.subscription_id,
        "created_by": _username(order.created_by) if order.created_by_id else None,
        "approved_by": _username(order.approved_by) if order.approved_by_id else None,
        "created_at": _time(order.created_at),
    }


def manual_operation_payload(operation):
    return {
        "id": operation.pk,
        "operation": operation.operation,
        "description": operation.description,
        "account": operation.account_id,
        "order": operation.order_id,
        "manager": _username(operation.account.manager) if operation.account.manager_id else None,
        "status": operation.status,
        "created_at": _time(operation.created_at),
        "decided_by": _username(operation.decided_by) if operation.decided_by_id else None,
        "decided_at": _time(operation.decided_at),
        "reason": operation.reason or None,
        "note": operation.note,
        "hold_reasons": list(operation.hold_reasons),
        "credit_snapshot": operation.credit_snapshot,
    }


def subscription_payload(subscription):
    return {
        "id": subscription.pk,
        "account": subscription.account_id,
        "plan": subscription.plan_id,
        "period": subscription.period,
        "status": subscription.status,
        "started_at": _time(subscription.started_at),
        "current_period_end": _time(subscription.current_period_end),
    }


def postpay_settings_payload(settings_row):
    return {
        "postpaid_permission_mode": settings_row.postpaid_permission_mode,
        "trial_requires_approval": settings_row.trial_requires_approval,
    }


# object type of the audit log → (key in an event's ``data``, payload function)
PAYLOADS = {
    "account": ("account", account_payload),
    "order": ("order", order_payload),
    "manual_operation": ("manual_operation", manual_operation_payload),
    "subscription": ("subscription", subscription_payload),
    "postpay_settings": ("postpay_settings", postpay_settings_payload),
}


def dumps(data):
    """The stored text of an event's ``data``: compact, in the payload's key order."""
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def event_payload(event):
    """The event exactly as ``GET /api/v1/events/`` lists it: a delivery's body (R34)."""
    return {"id": event.id, "type": event.type, "created_at": _time(event.created_at), "data": event.data}


def event_body(event):
    """The bytes a delivery sends and signs, written as the API's JSON renderer writes them
    (compact, UTF-8, the two JavaScript line separators escaped)."""
    text = dumps(event_payload(event)).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode()
