"""Credit terms at order time (SPEC §10): what an order adds to an account's commitment (R38)
and whether it waits for a credit review (R39). Pure rules: the commitment itself is read by
``selectors.accounts_with_commitment``, the one place it is computed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .models import BillingModel, OrderType, Period

ZERO = Decimal("0.00")
# R39's hold reasons, in R39's order (manual_operations.models.HoldReason holds their labels).
OVER_LIMIT, REVIEW_DUE, PAYMENT_HOLD = "over_limit", "review_due", "payment_hold"


def _postpaid_price(plan) -> Decimal:
    return plan.price if plan.billing_model == BillingModel.POSTPAY else ZERO


def subscription_counts(subscription) -> Decimal:
    """R38: a subscription counts its plan's price while it is postpaid and commercial."""
    return _postpaid_price(subscription.plan) if subscription.period == Period.COMMERCIAL else ZERO


def order_increase(*, order_type: str, plan, period: str, subscription=None) -> Decimal:
    """R38: the commitment with the order minus the commitment without it.

    A `new` postpaid commercial order adds its price; a `switch` replaces its subscription's
    count with the new plan's (a prepaid plan counts 0); a `renewal` adds nothing to a
    subscription already counted, and its plan's price when it turns a trial commercial.
    Renewal and switch orders are always commercial.
    """
    if order_type == OrderType.NEW:
        return _postpaid_price(plan) if period == Period.COMMERCIAL else ZERO
    if order_type == OrderType.SWITCH:
        return _postpaid_price(plan) - subscription_counts(subscription)
    if order_type == OrderType.RENEWAL:
        return _postpaid_price(plan) if subscription.period == Period.TRIAL else ZERO
    return ZERO


@dataclass(frozen=True)
class CreditCheck:
    increase: Decimal
    commitment: Decimal | None  # before the order; None when the check did not need it
    reasons: tuple[str, ...]

    @property
    def held(self) -> bool:
        return bool(self.reasons)

    def snapshot(self, account) -> dict:
        """What the check read, as the credit review records it (R39)."""
        return {
            "postpaid_limit": _amount(account.postpaid_limit),
            "commitment": _amount(self.commitment),
            "increase": _amount(self.increase),
        }


def _amount(value):
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def credit_check(*, account, increase: Decimal, commitment: Callable[[], Decimal], today: date) -> CreditCheck:
    """R39 for a gated order of an approved account: held when its increase is above zero and
    at least one term is broken. ``commitment`` is called only when a limit must be compared,
    so an account without terms is never read for it (R11)."""
    if increase <= 0 or not account.has_credit_terms:
        return CreditCheck(increase=increase, commitment=None, reasons=())
    current = commitment() if account.postpaid_limit is not None else None
    reasons = []
    if current is not None and current + increase > account.postpaid_limit:
        reasons.append(OVER_LIMIT)
    if account.credit_review_on is not None and account.credit_review_on <= today:
        reasons.append(REVIEW_DUE)
    if account.payment_hold:
        reasons.append(PAYMENT_HOLD)
    if reasons and current is None:
        current = commitment()  # the snapshot records it whatever the reason
    return CreditCheck(increase=increase, commitment=current, reasons=tuple(reasons))
