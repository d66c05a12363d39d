"""What a refusal must leave as it was (STYLE §7: a test asserts the code AND that nothing
changed)."""

from accounts.models import Account, User
from audit.models import AuditLogEntry
from events.models import Event, WebhookDelivery, WebhookEndpoint
from manual_operations.models import ManualOperation
from postpay_portal.models import IdempotencyRecord
from settings_app.selectors import postpay_settings_get
from subscriptions.models import Order, Plan, Subscription


def counts():
    """The rows a refused order or decision must not add."""
    return (Order.objects.count(), ManualOperation.objects.count(), Subscription.objects.count())


def snapshot():
    """What a refused request must leave as it was: row counts and every status."""
    settings_row = postpay_settings_get()
    return {
        "accounts": sorted(
            Account.objects.values_list(
                "pk", "name", "email", "postpay_permission", "postpaid_limit", "credit_review_on", "payment_hold"
            )
        ),
        "users": User.objects.count(),
        "plans": Plan.objects.count(),
        "orders": sorted(Order.objects.values_list("pk", "status", "failure_reason")),
        "subscriptions": sorted(Subscription.objects.values_list("pk", "plan_id", "current_period_end")),
        "operations": sorted(ManualOperation.objects.values_list("pk", "status")),
        "audit": AuditLogEntry.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
        "settings": (
            settings_row.postpaid_permission_mode,
            settings_row.trial_requires_approval,
            settings_row.payment_instructions,
        ),
        "events": Event.objects.count(),
        "webhook_endpoints": sorted(
            WebhookEndpoint.objects.values_list("pk", "url", "events", "active", "secret_encrypted")
        ),
        "webhook_deliveries": sorted(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
    }
