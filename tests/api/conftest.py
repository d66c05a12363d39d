"""API test helpers: token clients per persona, and the masking recorder (R6, R24, R28).

Every response a customer receives in this folder is kept; after each test, no customer body
may mention a decline or a decline reason, and a declined account's customer may not see
``provisioning_failed`` (``test_masking.py`` drives every endpoint for such a customer).
"""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import Account, PostpayPermission
from manual_operations.models import DeclineReason
from tests.factories import api_token_for

FORBIDDEN_FOR_CUSTOMERS = ["declin", *DeclineReason.values]

CUSTOMER_BODIES = []


class RecordingClient(APIClient):
    """An API client that keeps what a customer user was sent."""

    user = None

    def request(self, **kwargs):
        response = super().request(**kwargs)
        # The schema documents every value of the contract; it says nothing about an account.
        if self.user is not None and not self.user.is_staff and kwargs["PATH_INFO"].startswith("/api/v1/"):
            CUSTOMER_BODIES.append((self.user.account_id, response.content.decode(errors="replace")))
        return response


@pytest.fixture
def api(db):
    """``api(user)`` → a client sending that user's token; ``api()`` is anonymous."""

    def make(user=None):
        client = RecordingClient()
        client.user = user
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
        return client

    return make


@pytest.fixture(autouse=True)
def customer_bodies_never_show_a_decline(request):
    """R6, R24, R28: scanned after every API test."""
    CUSTOMER_BODIES.clear()
    yield
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    bodies, CUSTOMER_BODIES[:] = list(CUSTOMER_BODIES), []
    assert_no_decline_shown(bodies)


def assert_no_decline_shown(bodies):
    """``bodies``: (account id, body) pairs a customer received."""
    declined = set(
        Account.objects.filter(
            pk__in={account_id for account_id, _ in bodies}, postpay_permission=PostpayPermission.DECLINED
        ).values_list("pk", flat=True)
    )
    for account_id, text in bodies:
        lowered = text.lower()
        for word in FORBIDDEN_FOR_CUSTOMERS:
            assert word not in lowered, f"a customer was shown {word!r}: {text[:500]}"
        if account_id in declined:
            assert "provisioning_failed" not in lowered, f"a declined account's customer saw: {text[:500]}"


def body(response):
    return json.loads(response.content)


@pytest.fixture
def personas(customer_alice, outsider_oscar, staff_sam, manager_max):
    return {"customer": customer_alice, "other_customer": outsider_oscar, "staff": staff_sam, "manager": manager_max}


# --- objects of alice's account, reached through the services ------------------------------


@pytest.fixture
def waiting_order(customer_alice, prepaid_plan):
    """R21: a prepaid commercial order waits for payment."""
    from subscriptions.services import order_place

    return order_place(
        actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="commercial"
    )


@pytest.fixture
def operation(held_order):
    return held_order.manual_operation


@pytest.fixture
def declined_order(held_order, manager_max):
    """R16: the manager declines; the held order fails with ``postpay_declined``."""
    from manual_operations.services import manual_operation_decline

    manual_operation_decline(
        actor=manager_max, operation_id=held_order.manual_operation.pk, reason="credit_risk", note="too risky"
    )
    held_order.refresh_from_db()
    return held_order


@pytest.fixture
def subscription(customer_alice, postpaid_plan, django_capture_on_commit_callbacks):
    """Automatic mode: a postpaid order provisions at once and creates the subscription."""
    from subscriptions.services import order_place

    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial"
        )
    order.refresh_from_db()
    return order.subscription


@pytest.fixture
def failed_order(customer_alice, postpaid_plan_no_trial):
    """R22: provisioning failed after its last attempt (not by a decline)."""
    from subscriptions.models import Order
    from subscriptions.services import order_fail_provisioning, order_place

    order = order_place(
        actor=customer_alice,
        account_id=customer_alice.account_id,
        plan_id=postpaid_plan_no_trial.pk,
        period="commercial",
    )
    order_fail_provisioning(order_id=order.pk, error="platform unavailable")
    return Order.objects.get(pk=order.pk)


@pytest.fixture
def webhook_endpoint(db):
    """R34: an endpoint for every event; its host does not resolve here, which is accepted."""
    from events.services import webhook_endpoint_create

    return webhook_endpoint_create(actor=None, url="https://hooks.example.com/postpay", events=["*"])


@pytest.fixture
def webhook_delivery(webhook_endpoint, customer_alice, postpaid_plan):
    """R34: alice's order (automatic mode) is one event, delivered to the endpoint."""
    from events.models import WebhookDelivery
    from subscriptions.services import order_place

    order_place(
        actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial"
    )
    return WebhookDelivery.objects.get(endpoint=webhook_endpoint, event__type="order.created")


def snapshot():
    """What a refused request must leave as it was: row counts and every status."""
    from accounts.models import Account, User
    from audit.models import AuditLogEntry
    from events.models import Event, WebhookDelivery, WebhookEndpoint
    from manual_operations.models import ManualOperation
    from postpay_portal.models import IdempotencyRecord
    from settings_app.selectors import postpay_settings_get
    from subscriptions.models import Order, Plan, Subscription

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
