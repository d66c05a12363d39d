from postpay_portal.errors import DomainError


class OrderInProgress(DomainError):
    """R23."""

    code = "order_in_progress"
    status = 409
    default_detail = "This subscription already has an order in progress."


class TrialAlreadyUsed(DomainError):
    """R47: one trial per plan per account."""

    code = "trial_already_used"
    status = 409
    default_detail = "The trial of this plan has already been used by this account."


class InvalidOrderStatus(DomainError):
    code = "invalid_order_status"
    status = 409
    default_detail = "The order's status does not allow this action."


class TransientProvisioningError(Exception):
    """Raised by a provisioner for an error worth retrying (R22)."""


class CreditReviewOpen(DomainError):
    """R40: while a credit review of the account is open, an order that raises the commitment
    waits for it to be decided."""

    code = "credit_review_open"
    status = 409
    default_detail = (
        "An order of this account is being reviewed by your provider; orders that raise your postpaid "
        "commitment can be placed again once it is decided."
    )
