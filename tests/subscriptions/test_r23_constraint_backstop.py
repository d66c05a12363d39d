"""R23's constraint (``one_open_order_per_subscription``) stands behind the account lock: if a
code path ever missed the check, the database refuses the second open order, the placement
answers ``order_in_progress`` and writes nothing, and the connection serves the next request."""

import pytest
from django.test import TestCase

from subscriptions.errors import OrderInProgress
from subscriptions.models import Order, OrderStatus
from subscriptions.services import orders, subscription_renew
from tests.support.actions import place
from tests.support.state import snapshot


@pytest.mark.django_db(transaction=True)  # the placement's own transaction is the outermost, as in production
def test_r23_the_constraint_refuses_a_second_open_order_and_nothing_is_written(
    customer_alice, postpaid_plan_no_trial, monkeypatch
):
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = place(customer_alice, postpaid_plan_no_trial)
    subscription = Order.objects.get(pk=first.pk).subscription
    monkeypatch.setattr(orders, "enqueue_on_commit", lambda *args: None)  # no worker has taken it yet
    renewal = subscription_renew(actor=customer_alice, subscription_id=subscription.pk)
    assert Order.objects.get(pk=renewal.pk).status == OrderStatus.PROVISIONING  # open: it holds the subscription (R23)

    monkeypatch.setattr(orders, "_ensure_no_open_order", lambda *args, **kwargs: None)  # the check missed
    before = snapshot()
    with pytest.raises(OrderInProgress):
        subscription_renew(actor=customer_alice, subscription_id=subscription.pk)

    assert snapshot() == before
    assert Order.objects.filter(subscription=subscription).count() == 2  # the connection is usable
