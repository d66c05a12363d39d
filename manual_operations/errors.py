from django.utils import timezone

from postpay_portal.errors import DomainError


class OperationAlreadyDecided(DomainError):
    """R14: names who decided the operation and when."""

    code = "operation_already_decided"
    status = 409

    def __init__(self, operation):
        who = operation.decided_by.get_username() if operation.decided_by_id else "someone"
        when = (
            timezone.localtime(operation.decided_at).strftime("%Y-%m-%d %H:%M:%S %Z")
            if operation.decided_at
            else "earlier"
        )
        super().__init__(f"This operation was already {operation.get_status_display().lower()} by {who} at {when}.")
        self.decided_by = who
        self.decided_at = operation.decided_at
