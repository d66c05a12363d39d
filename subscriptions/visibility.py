"""The customer's view of an order (SPEC R6, R24, R28, R32): the one place it is masked.

An order failed by a permission decline reads, for every rule a customer can observe, as the
held order it appears to be — its status, its filters, and whether it is open (R23,
``models.open_order_q``). Every face asks these functions; none masks on its own.
"""

from dataclasses import dataclass
from decimal import Decimal

from .models import ORDER_FAILED_BY_CREDIT_REVIEW, OrderStatus

# R22: a provisioning failure reads the same for every customer; the stored error (host
# names, provisioner internals) is for operators only.
CUSTOMER_PROVISIONING_FAILED_TEXT = "Setting up the subscription failed. Our team has been notified and will retry it."


def customer_visible_order_status(order) -> str:
    """A held order, or one failed by a decline, reads ``waiting_for_approval``."""
    if order.failed_by_decline:
        return OrderStatus.WAITING_FOR_APPROVAL.value
    return order.status


CREDIT_REVIEW_DECLINED_TEXT = "Your provider did not approve this order."
CREDIT_REVIEW_DECLINED_LABEL = "Not approved"


def customer_visible_failure_reason(order) -> str | None:
    """R6, R24: none for an order failed by a permission decline (it reads as held); for a
    declined credit review its code, ``credit_review_declined`` (R41, R42: the account is
    approved, nothing is masked); a plain sentence for any other failure, never the stored
    error."""
    if order.failed_by_decline or order.status != OrderStatus.PROVISIONING_FAILED:
        return None
    if order.failure_reason == ORDER_FAILED_BY_CREDIT_REVIEW:
        return ORDER_FAILED_BY_CREDIT_REVIEW
    return CUSTOMER_PROVISIONING_FAILED_TEXT


def customer_failure_text(order) -> str:
    """The portal's sentence for a failed order (R42: "not approved by your provider")."""
    reason = customer_visible_failure_reason(order)
    return CREDIT_REVIEW_DECLINED_TEXT if reason == ORDER_FAILED_BY_CREDIT_REVIEW else reason or ""


CUSTOMER_UNDER_REVIEW_LABEL = "Under review"


def customer_order_status_label(value: str) -> str:
    """The words a customer reads for an order status they are shown (R24: a held order,
    and one failed by a decline, read "Under review")."""
    if value == OrderStatus.WAITING_FOR_APPROVAL:
        return CUSTOMER_UNDER_REVIEW_LABEL
    return OrderStatus(value).label


# The customer portal's order status filter: the customer's word → the status it shows. The
# words are the customer's, never a stored status name a decline sits in (R6).
CUSTOMER_ORDER_FILTERS = {
    "waiting_for_payment": OrderStatus.WAITING_FOR_PAYMENT,
    "under_review": OrderStatus.WAITING_FOR_APPROVAL,
    "provisioning": OrderStatus.PROVISIONING,
    "failed": OrderStatus.PROVISIONING_FAILED,
    "completed": OrderStatus.COMPLETED,
    "cancelled": OrderStatus.CANCELLED,
}


def customer_order_filter_choices() -> list[tuple[str, str]]:
    """The statuses a customer can filter their orders by, in their words (R24, R28)."""
    return [(word, customer_order_status_label(status)) for word, status in CUSTOMER_ORDER_FILTERS.items()]


def customer_order_filter_status(word: str):
    """The shown status a filter word selects, or None. Its matching is
    ``selectors.customer_status_filter``: "Under review" matches an order failed by a
    decline, "Provisioning failed" never does (R24, R32)."""
    return CUSTOMER_ORDER_FILTERS.get(word)


@dataclass(frozen=True)
class CustomerCredit:
    """R42: what a customer of an approved account sees of its credit in mode Manually."""

    limit: Decimal | None
    commitment: Decimal
    available: Decimal | None  # the limit minus the commitment; negative when over it


def customer_credit(account, settings_row) -> CustomerCredit | None:
    """R42: the limit, the commitment and what remains, for an approved account in mode
    Manually; None otherwise — for an account under review or declined alike (R32), and in
    mode Automatically, where terms are not checked (R43)."""
    from accounts.models import PostpayPermission

    if not settings_row.is_manual or account.postpay_permission != PostpayPermission.APPROVED:
        return None
    return account_credit_figures(account)


def account_credit_figures(account) -> CustomerCredit:
    """R38, R43: an account's limit, commitment and what remains, whatever its status and the
    mode — what operators read on the account page and a credit review's page; customers get
    them only through ``customer_credit``."""
    from .selectors import account_commitment

    commitment = account_commitment(account.pk)
    limit = account.postpaid_limit
    return CustomerCredit(limit=limit, commitment=commitment, available=None if limit is None else limit - commitment)
