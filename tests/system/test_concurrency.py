"""R12, R14, R22, R23 under real concurrency, on PostgreSQL: threads released together by a
barrier, each with its own database connection."""

import pytest

from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_decline
from subscriptions.models import AttemptOutcome, Order, OrderStatus, Subscription
from subscriptions.services import order_provision, subscription_renew
from tests.concurrency import run_together
from tests.factories import ManagerFactory
from tests.support.actions import place

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_r12_twenty_simultaneous_first_orders_hold_one_and_refuse_nineteen(manual_mode, customer_alice, postpaid_plan):
    outcomes = run_together(20, lambda i: place(customer_alice, postpaid_plan).status)
    assert sorted(outcomes) == [("ok", OrderStatus.WAITING_FOR_APPROVAL)] + [("refused", "postpay_under_review")] * 19
    assert Order.objects.count() == 1
    assert ManualOperation.objects.count() == 1


def test_r14_ten_simultaneous_approvals_decide_once(manual_mode, customer_alice, postpaid_plan):
    operation = place(customer_alice, postpaid_plan).manual_operation
    managers = [ManagerFactory(username=f"m{i}") for i in range(10)]
    outcomes = run_together(10, lambda i: manual_operation_approve(actor=managers[i], operation_id=operation.pk).pk)
    assert sorted(outcomes) == [("ok", operation.pk)] + [("refused", "operation_already_decided")] * 9
    operation.refresh_from_db()
    assert operation.status == OperationStatus.APPROVED
    assert Order.objects.get().status in (OrderStatus.PROVISIONING, OrderStatus.COMPLETED)


def test_r14_approve_and_decline_at_once_exactly_one_wins(manual_mode, customer_alice, postpaid_plan):
    operation = place(customer_alice, postpaid_plan).manual_operation
    a, b = ManagerFactory(username="ann"), ManagerFactory(username="ben")
    outcomes = run_together(
        2,
        lambda i: (
            (
                manual_operation_approve(actor=a, operation_id=operation.pk)
                if i == 0
                else manual_operation_decline(actor=b, operation_id=operation.pk, reason="other")
            ).status
        ),
    )
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"]
    operation.refresh_from_db()
    order = Order.objects.get()
    account = operation.account
    account.refresh_from_db()
    if operation.status == OperationStatus.APPROVED:
        assert account.postpay_permission == "approved"
        assert order.status in (OrderStatus.PROVISIONING, OrderStatus.COMPLETED)
    else:
        assert (account.postpay_permission, order.status) == ("declined", OrderStatus.PROVISIONING_FAILED)


@pytest.fixture
def undelivered(monkeypatch):
    """The first message is not consumed yet (tests run tasks inline on commit otherwise):
    the deliveries below are the only ones."""
    import subscriptions.services.provisioning as provisioning

    monkeypatch.setattr(provisioning, "enqueue_provisioning", lambda order_id: None)


def test_r22_three_simultaneous_deliveries_provision_once(customer_alice, postpaid_plan, undelivered):
    order = place(customer_alice, postpaid_plan)
    outcomes = run_together(3, lambda i: order_provision(order_id=order.pk) is not None)
    assert sorted(outcomes) == [("ok", False), ("ok", False), ("ok", True)]
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert Subscription.objects.count() == 1
    assert list(order.attempts.values_list("outcome", flat=True)) == [AttemptOutcome.SUCCEEDED]


def test_r23_simultaneous_renewals_open_one_order(customer_alice, postpaid_plan, undelivered):
    order = place(customer_alice, postpaid_plan)
    order_provision(order_id=order.pk)
    subscription = Subscription.objects.get()
    outcomes = run_together(
        10, lambda i: subscription_renew(actor=customer_alice, subscription_id=subscription.pk).type
    )
    assert sorted(outcomes) == [("ok", "renewal")] + [("refused", "order_in_progress")] * 9
    assert Order.objects.filter(type="renewal").count() == 1


def test_r23_renewals_interleaved_with_provisioning_never_deadlock(customer_alice, postpaid_plan):
    """Each renewal here provisions inline when it commits, so placing (account →
    subscription) and provisioning (order → subscription) run side by side; a plan row
    locked through select_related once deadlocked them."""
    order = place(customer_alice, postpaid_plan)
    subscription = Subscription.objects.get(origin_order=order)
    outcomes = run_together(
        10, lambda i: subscription_renew(actor=customer_alice, subscription_id=subscription.pk).type
    )
    assert {kind for kind, _ in outcomes} <= {"ok", "refused"}, outcomes
    assert {value for kind, value in outcomes if kind == "refused"} <= {"order_in_progress"}
    renewed = sum(1 for kind, _ in outcomes if kind == "ok")
    assert Order.objects.filter(type="renewal", status=OrderStatus.COMPLETED).count() == renewed >= 1
