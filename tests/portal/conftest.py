"""Customer portal fixtures: states reached through the services, never by writing them."""

import pytest

from manual_operations.services import manual_operation_approve, manual_operation_decline
from tests.support.actions import place_committed


@pytest.fixture
def alice_client(client, customer_alice):
    client.force_login(customer_alice)
    return client


@pytest.fixture
def alice_subscription(customer_alice, prepaid_plan):
    """An active subscription of Alice's (a prepaid trial provisions at once, R21)."""
    order = place_committed(customer_alice, prepaid_plan, "trial")
    order.refresh_from_db()
    return order.subscription


@pytest.fixture
def decide(manager_max, django_capture_on_commit_callbacks):
    """A manager's decision on the operation of a held order, through the service."""

    def _decide(order, approve, reason="credit_risk", note=""):
        operation_id = order.manual_operation.pk
        with django_capture_on_commit_callbacks(execute=True):
            if approve:
                manual_operation_approve(actor=manager_max, operation_id=operation_id, note=note)
            else:
                manual_operation_decline(actor=manager_max, operation_id=operation_id, reason=reason, note=note)
        order.refresh_from_db()
        return order

    return _decide
