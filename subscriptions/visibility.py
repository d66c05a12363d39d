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
