"""What an order would do, said before it is placed: the customer portal's confirm step
(SPEC R27: a refusal shows before submit; R21, R9: provisioned now, held for a review, or
waiting for payment).

Read-only twins of the services' checks, in the services' order — R47 (one trial per
plan) or R23 (one open order per subscription) first, then the gate (``postpay_gate``, R5,
R9–R13) — with the refusal masked for customers (``refusal_for``, R6, R32). The service
decides again when the order is confirmed; ``tests/portal/test_confirm.py`` places every
combination and checks that the preview told what the service then did.
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts.visibility import refusal_for
from postpay_portal.errors import DomainError

from .errors import OrderInProgress, TrialAlreadyUsed
from .gate import GateDecision, order_first_status, postpay_gate
from .models import BILLING_PERIOD_DAYS, OrderType, Period
from .selectors import open_order_for_subscription, trial_used_plan_ids
from .services.orders import order_credit_check


@dataclass
class OrderPreview:
    order_type: str
    plan: object
    period: str
    subscription: object = None
    refusal: str = ""  # the detail of the refusal the order would meet, masked (R6)
    status: str = ""  # the status the order would be placed in, when not refused
    credit_review: bool = False  # held for a credit review first (R39, R42); submit stays enabled

    @property
    def is_trial(self):
        return self.period == Period.TRIAL

    @property
    def price(self):
        return self.plan.price if self.period == Period.COMMERCIAL else Decimal("0.00")

    @property
    def trial_days(self):
        return self.plan.trial_days

    @property
    def billing_period_days(self):
        return BILLING_PERIOD_DAYS


def order_preview(*, actor, account, plan, period, order_type, settings_row, subscription=None, trial_used=None):
    """The outcome of placing this order now. ``trial_used``: the plan ids of
    ``trial_used_plan_ids``, when the caller already read them for many plans."""
    preview = OrderPreview(order_type=order_type, plan=plan, period=period, subscription=subscription)
    if order_type == OrderType.NEW and period == Period.TRIAL:
        used = trial_used if trial_used is not None else trial_used_plan_ids(account.pk)
        if plan.pk in used:
            preview.refusal = TrialAlreadyUsed.default_detail  # R47
            return preview
    if subscription is not None and open_order_for_subscription(subscription) is not None:
        preview.refusal = OrderInProgress.default_detail  # R23, R32
        return preview
    gate = postpay_gate(
        permission=account.postpay_permission,
        plan=plan,
        period=period,
        order_type=order_type,
        settings_row=settings_row,
    )
    if gate.decision is GateDecision.REFUSE:
        preview.refusal = refusal_for(actor, account.postpay_permission).detail  # R10, masked (R6)
        return preview
    try:
        credit = order_credit_check(
            account=account,
            plan=plan,
            period=period,
            order_type=order_type,
            subscription=subscription,
            gated=gate.gated,
        )
    except DomainError as refusal:  # R40: a credit review of the account is open
        preview.refusal = refusal.detail
        return preview
    preview.credit_review = credit is not None and credit.held
    preview.status = order_first_status(
        decision=gate.decision, held_for_credit_review=preview.credit_review, plan=plan, period=period
    )
    return preview
