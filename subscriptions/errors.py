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
