"""The customer's view of an order (SPEC R6, R24, R28, R32): the one place it is masked.

An order failed by a permission decline reads, for every rule a customer can observe, as the
held order it appears to be — its status, its filters, and whether it is open (R23,
``models.open_order_q``). Every face asks these functions; none masks on its own.
"""

from .models import OrderStatus

# R22: a provisioning failure reads the same for every customer; the stored error (host
# names, provisioner internals) is for operators only.
CUSTOMER_PROVISIONING_FAILED_TEXT = "Setting up the subscription failed. Our team has been notified and will retry it."


def customer_visible_order_status(order) -> str:
    """A held order, or one failed by a decline, reads ``waiting_for_approval``."""
    if order.failed_by_decline:
        return OrderStatus.WAITING_FOR_APPROVAL.value
    return order.status


def customer_visible_failure_reason(order) -> str | None:
    """R6, R24: none for an order failed by a decline (it reads as held); a plain sentence for
    any other failure, never the stored error."""
    if order.failed_by_decline or order.status != OrderStatus.PROVISIONING_FAILED:
        return None
    return CUSTOMER_PROVISIONING_FAILED_TEXT


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
