"""What a manager reads before deciding (R17) and the decide pages (R14–R16, R18).

The decision itself is always ``manual_operation_approve`` / ``manual_operation_decline``;
nothing here re-checks a rule: a refusal comes back as a ``DomainError`` and becomes a
message (an operation decided by someone else meanwhile reads "already … by X at T").
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.models import PostpayPermission
from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get
from subscriptions.models import BillingModel, Order, Period, Subscription
from subscriptions.money import format_price

from .models import DeclineReason, OperationOrigin, OperationStatus
from .services import manual_operation_approve, manual_operation_decline


class ApproveForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional, internal.")


class DeclineForm(forms.Form):
    """R16: a structured reason is required; the note is optional. Neither reaches the customer."""

    reason = forms.ChoiceField(choices=[("", "---------"), *DeclineReason.choices])
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, internal: never shown to the customer.",
    )


def age_of(operation, now=None):
    """R17: how long it waited — until now while open, until the decision once decided."""
    end = operation.decided_at or now or timezone.now()
    return end - operation.created_at


def is_past_target(operation, now=None):
    """R17: an open operation waiting longer than MANUAL_OPERATION_TARGET_HOURS is highlighted;
    it is never decided automatically."""
    return operation.is_open and age_of(operation, now).total_seconds() > settings.MANUAL_OPERATION_TARGET_HOURS * 3600


def format_age(delta):
    """How long, to the minute at most ("under a minute", "3 h 12 min", "2 d 4 h"): the queue's
    Age, the exposure card and the report's median all read the same way."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@dataclass
class Exposure:
    """R17: the exposure card — what approving this account puts at stake."""

    account_age: str
    subscriptions: list
    monthly_postpaid_total: Decimal
    held_order_price: Decimal
    earlier_orders: list


def exposure_for(operation):
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
        account_age=format_age(timezone.now() - account.created_at),
        subscriptions=subscriptions,
        monthly_postpaid_total=monthly,
        held_order_price=operation.order.price if operation.order_id is not None else None,  # R36: none held
        earlier_orders=list(earlier[:20]),
    )


def why_title(operation):
    if operation.order_id is not None:
        return "Why this order is held"
    return "Why this operation is open" if operation.is_open else "Why this operation exists"


def _who(user):
    return user.get_username() if user is not None else "system"


def why_held(operation):
    """R17: why the order waits (or waited) for a manager, in the words of R5 and R9 — or,
    with no order (R36), who asked or approved in advance."""
    order = operation.order
    settings_row = postpay_settings_get()
    if order is None:
        return _why_in_advance(operation, settings_row)
    lines = [
        f"Order #{order.pk} ({order.get_type_display().lower()}, {order.plan.name}, "
        f"{order.get_period_display().lower()} period, {format_price(order.price)}) was placed by "
        f"{order.created_by.get_username() if order.created_by_id else 'system'} "
        f"at {timezone.localtime(order.created_at):%Y-%m-%d %H:%M}.",
        "It was held (R9) because the postpay mode was Manually, the plan is postpaid, the "
        + ("period is a trial and trials require approval" if order.period == Period.TRIAL else "period is commercial")
        + f', and the account\'s status was "{PostpayPermission.NONE.label}": this was its first gated order.',
        f"Mode now: {settings_row.get_postpaid_permission_mode_display()}. "
        f'Account status now: "{operation.account.get_postpay_permission_display()}".',
    ]
    return lines + _decision_lines(operation, settings_row)


def _decision_lines(operation, settings_row):
    if operation.status != OperationStatus.APPROVAL_REQUIRED:
        return [
            f"{operation.get_status_display()} by {_who(operation.decided_by)} at "
            f"{timezone.localtime(operation.decided_at):%Y-%m-%d %H:%M}."
        ]
    if not settings_row.is_manual and operation.order_id is not None:
        return ["The mode is Automatically now, but a held order stays held until a manager decides (R13)."]
    return []


def _why_in_advance(operation, settings_row):
    """R36: no order is held; the panel says who asked, or who approved, in advance."""
    when = f"{timezone.localtime(operation.created_at):%Y-%m-%d %H:%M}"
    if operation.origin == OperationOrigin.APPROVED_IN_ADVANCE:
        lines = [
            f"Approved in advance by {_who(operation.requested_by)} at {when}, before any order (R36b): "
            "the account may order postpaid plans without a held order."
        ]
        return lines + ([f"Note: {operation.note}"] if operation.note else [])
    lines = [
        f"Asked in advance by {_who(operation.requested_by)} at {when}, before any order (R36a): no order is held.",
        "Approving lets the account order postpaid plans; declining refuses its postpaid orders, and the customer "
        'keeps reading "under review" (R6).',
        f"Mode now: {settings_row.get_postpaid_permission_mode_display()}. "
        f'Account status now: "{operation.account.get_postpay_permission_display()}".',
    ]
    return lines + _decision_lines(operation, settings_row)


def approve(*, actor, operation_id, note=""):
    """Returns (operation, None) or (None, the refusal)."""
    try:
        return manual_operation_approve(actor=actor, operation_id=operation_id, note=note), None
    except DomainError as error:
        return None, error


def decline(*, actor, operation_id, reason, note=""):
    try:
        return manual_operation_decline(actor=actor, operation_id=operation_id, reason=reason, note=note), None
    except DomainError as error:
        return None, error
