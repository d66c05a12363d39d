"""API test fixtures: token clients per persona, the masking check (R6, R24, R28), and the
objects of alice's account reached through the services.

Every response a customer receives in this folder is kept; after each test, no customer body
may mention a decline or a decline reason, and a declined account's customer may not see
``provisioning_failed`` (``test_masking.py`` drives every endpoint for such a customer).
"""

import pytest

from tests.support.api import CUSTOMER_BODIES, assert_no_decline_shown


@pytest.fixture(autouse=True)
def customer_bodies_never_show_a_decline(request):
    """R6, R24, R28: scanned after every API test."""
    CUSTOMER_BODIES.clear()
    yield
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    bodies, CUSTOMER_BODIES[:] = list(CUSTOMER_BODIES), []
    assert_no_decline_shown(bodies)


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
