"""The postpay gate (R5, R9–R11, R13): does an order go ahead, wait for a manager, or get
refused? Order placement asks it inside its transaction; the catalog asks it before submit
(R27); the operator portal asks it to explain why an order was held (R17, R26).
"""

import enum
from dataclasses import dataclass

from accounts.models import PostpayPermission
from accounts.visibility import refusal_for

from .models import BillingModel, OrderStatus, OrderType, Period


class GateDecision(enum.Enum):
    PROCEED = "proceed"
    HOLD = "hold"  # R9: the account's first gated order waits for a manager
    REFUSE = "refuse"  # R10


class GateCondition(enum.StrEnum):
    """R5's conditions, each of which must hold for an order to be gated."""

    MODE_MANUAL = "mode_manual"
    PLAN_POSTPAID = "plan_postpaid"
    PERIOD_COMMERCIAL = "period_commercial"
    TRIAL_REQUIRES_APPROVAL = "trial_requires_approval"  # R2: a trial period, gated too


@dataclass(frozen=True)
class Gate:
    decision: GateDecision
    gated: bool
    conditions: tuple[GateCondition, ...]  # those of R5 that hold
    permission: str  # the account's status the gate read


def postpay_gate(*, permission: str, plan, period: str, order_type: str, settings_row) -> Gate:
    """Gated when the mode is Manually, the plan is postpaid, the period is commercial (or
    trial with R2 on), for any order type. Operators' orders obey the same gate (R5)."""
    conditions = []
    if settings_row.is_manual:
        conditions.append(GateCondition.MODE_MANUAL)
    if plan.billing_model == BillingModel.POSTPAY:
        conditions.append(GateCondition.PLAN_POSTPAID)
    if period == Period.COMMERCIAL:
        conditions.append(GateCondition.PERIOD_COMMERCIAL)
    elif settings_row.trial_requires_approval:
        conditions.append(GateCondition.TRIAL_REQUIRES_APPROVAL)
    gated = len(conditions) == 3 and order_type in OrderType.values
    if not gated or permission == PostpayPermission.APPROVED:
        decision = GateDecision.PROCEED
    elif permission == PostpayPermission.NONE:
        decision = GateDecision.HOLD
    else:
        decision = GateDecision.REFUSE
    return Gate(decision=decision, gated=gated, conditions=tuple(conditions), permission=permission)


def order_gate_refusal(*, actor, account, plan, period: str, order_type: str = OrderType.NEW, settings_row):
    """R27: the refusal an order would meet, for showing it before submit; None if none.

    The same gate as the placement's; a page asking for many plans passes the settings row
    it read once.
    """
    gate = postpay_gate(
        permission=account.postpay_permission,
        plan=plan,
        period=period,
        order_type=order_type,
        settings_row=settings_row,
    )
    if gate.decision is GateDecision.REFUSE:
        return refusal_for(actor, account.postpay_permission)
    return None


def order_first_status(*, decision: GateDecision, held_for_credit_review: bool, plan, period: str) -> str:
    """R9, R21, R39: the status an order is placed in — held for a review (the permission's
    or a credit review), provisioning (postpaid, or a trial), or waiting for payment."""
    if decision is GateDecision.HOLD or held_for_credit_review:
        return OrderStatus.WAITING_FOR_APPROVAL
    if plan.billing_model == BillingModel.POSTPAY or period == Period.TRIAL:
        return OrderStatus.PROVISIONING
    return OrderStatus.WAITING_FOR_PAYMENT
