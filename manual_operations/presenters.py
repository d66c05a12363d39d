"""What a manager reads about an operation (R17, R26): its age against the target, and why
its order was held — the one explainer, which asks the gate rather than restating R9."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import PostpayPermission
from settings_app.models import PermissionMode, PostpaySettings
from subscriptions.gate import GateCondition, GateDecision, postpay_gate
from subscriptions.models import Period
from subscriptions.money import format_price

from .models import HoldReason, OperationOrigin, OperationStatus, OperationType


def age_of(operation, now=None) -> timedelta:
    """R17: how long it waited — until now while open, until the decision once decided."""
    end = operation.decided_at or now or timezone.now()
    return end - operation.created_at


def is_past_target(operation, now=None) -> bool:
    """R17: an open operation waiting longer than MANUAL_OPERATION_TARGET_HOURS is highlighted;
    it is never decided automatically."""
    return operation.is_open and age_of(operation, now).total_seconds() > settings.MANUAL_OPERATION_TARGET_HOURS * 3600


def format_age(delta: timedelta) -> str:
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


def _who(user) -> str:
    return user.get_username() if user is not None else "system"


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def format_time(moment) -> str:
    """The operator portal's one date format, ``2026-05-04 10:12``; "—" for none."""
    return _when(moment) if moment is not None else "—"


CONDITION_TEXT = {
    GateCondition.MODE_MANUAL: "the postpay mode was Manually",
    GateCondition.PLAN_POSTPAID: "the plan is postpaid",
    GateCondition.PERIOD_COMMERCIAL: "the period is commercial",
    GateCondition.TRIAL_REQUIRES_APPROVAL: "the period is a trial and trials required approval",
}


def hold_reasons(order) -> list[str]:
    """Why the gate held ``order`` (R5, R9): its answer for the order as placed — in mode
    Manually (a hold happens only then), with trials gated if the order is a trial, for an
    account not yet reviewed."""
    as_placed = PostpaySettings(
        postpaid_permission_mode=PermissionMode.MANUAL, trial_requires_approval=order.period == Period.TRIAL
    )
    gate = postpay_gate(
        permission=PostpayPermission.NONE,
        plan=order.plan,
        period=order.period,
        order_type=order.type,
        settings_row=as_placed,
    )
    if gate.decision is not GateDecision.HOLD:
        return []
    return [CONDITION_TEXT[condition] for condition in gate.conditions]


def explain_held_order(order) -> str:
    """One sentence for the account page and the operation page: why the order was held."""
    reasons = hold_reasons(order)
    because = ", ".join(reasons[:-1]) + f" and {reasons[-1]}" if len(reasons) > 1 else "".join(reasons)
    return (
        f"Held because {because}, and the account's status was "
        f'"{PostpayPermission.NONE.label}": this was its first gated order.'
    )


def is_credit_review(operation) -> bool:
    return operation.operation == OperationType.CREDIT_REVIEW


def hold_reason_labels(operation) -> list[str]:
    """R39: a credit review's hold reasons, as the portal labels them, in R39's order."""
    return [HoldReason(reason).label for reason in operation.hold_reasons if reason in HoldReason.values]


def _credit_reason_text(reason, snapshot) -> str:
    """One hold reason of R39 in words, with what the check read (the snapshot)."""
    if reason == HoldReason.OVER_LIMIT:
        return (
            f"the order goes over the postpaid limit: the account's commitment was "
            f"{format_price(snapshot.get('commitment'))} "
            f"before the order, the order adds {format_price(snapshot.get('increase'))}, and its limit was "
            f"{format_price(snapshot.get('postpaid_limit'))}"
        )
    if reason == HoldReason.REVIEW_DUE:
        return "the account's review date was reached"
    if reason == HoldReason.PAYMENT_HOLD:
        return "the reseller's billing reported a payment hold on the account"
    return reason


def explain_credit_hold(operation) -> str:
    """R39: why an approved account's order waits for a credit review — its hold reasons, in
    their order, with the figures of the check; never R9's first-order wording."""
    snapshot = operation.credit_snapshot or {}
    reasons = [_credit_reason_text(reason, snapshot) for reason in operation.hold_reasons]
    because = "; ".join(reasons) if reasons else "its credit terms"
    return (
        f"Held for a credit review because {because}. The order raises the account's commitment, and the account "
        "is approved for postpaid ordering: it stays so whatever the decision."
    )


def explain_held(order, operation=None) -> str:
    """Why ``order`` is held, in the words of the operation that holds it."""
    if operation is not None and is_credit_review(operation):
        return explain_credit_hold(operation)
    return explain_held_order(order)


def why_title(operation) -> str:
    if operation.order_id is not None:
        return "Why this order is held"
    return "Why this operation is open" if operation.is_open else "Why this operation exists"


def why_held(operation, settings_row) -> list[str]:
    """R17: why the order waits (or waited) for a manager — or, with no order (R36), who
    asked or approved in advance."""
    order = operation.order
    if order is None:
        return _why_in_advance(operation, settings_row)
    placed_by = order.created_by.get_username() if order.created_by_id else "system"
    lines = [
        f"Order #{order.pk} ({order.get_type_display().lower()}, {order.plan.name}, "
        f"{order.get_period_display().lower()} period, {format_price(order.price)}) was placed by {placed_by} "
        f"at {_when(order.created_at)}.",
        explain_held(order, operation),
        _now(operation, settings_row),
    ]
    return lines + _decision_lines(operation, settings_row)


def _now(operation, settings_row) -> str:
    return (
        f"Mode now: {settings_row.get_postpaid_permission_mode_display()}. "
        f'Account status now: "{operation.account.get_postpay_permission_display()}".'
    )


def _decision_lines(operation, settings_row) -> list[str]:
    if operation.status != OperationStatus.APPROVAL_REQUIRED:
        return [f"{operation.get_status_display()} by {_who(operation.decided_by)} at {_when(operation.decided_at)}."]
    if not settings_row.is_manual and operation.order_id is not None:
        if is_credit_review(operation):  # R43: terms are not checked now, but the review stays open (R4)
            return [
                "The mode is Automatically now: credit terms are not checked, but this order stays held until a "
                "manager decides."
            ]
        return ["The mode is Automatically now, but a held order stays held until a manager decides."]
    return []


def _why_in_advance(operation, settings_row) -> list[str]:
    """R36: no order is held; the panel says who asked, or who approved, in advance."""
    when = _when(operation.created_at)
    if operation.origin == OperationOrigin.APPROVED_IN_ADVANCE:
        lines = [
            f"Approved in advance by {_who(operation.requested_by)} at {when}, before any order: "
            "the account may order postpaid plans without a held order."
        ]
        return lines + ([f"Note: {operation.note}"] if operation.note else [])
    lines = [
        f"Asked in advance by {_who(operation.requested_by)} at {when}, before any order: no order is held.",
        "Approving lets the account order postpaid plans; declining refuses its postpaid orders, and the customer "
        'keeps reading "under review".',
        _now(operation, settings_row),
    ]
    return lines + _decision_lines(operation, settings_row)


def decision_text(operation) -> str:
    """ "Approval required", or "Declined by mia at 2026-05-04 10:12"."""
    if operation.is_open:
        return operation.get_status_display()
    return f"{operation.get_status_display()} by {_who(operation.decided_by)} at {_when(operation.decided_at)}"


def selection_row(operation) -> tuple:
    """R18: one operation on a bulk decision's confirmation page."""
    order = operation.order
    if order is None:  # R36: nothing is held
        return (
            f"#{operation.pk}",
            operation.account.name,
            f"no order ({operation.get_origin_display().lower()})",
            "no order",
            decision_text(operation),
        )
    return (
        f"#{operation.pk}",
        operation.account.name,
        f"#{order.pk} {order.plan.name}",
        format_price(order.price),
        decision_text(operation),
    )
