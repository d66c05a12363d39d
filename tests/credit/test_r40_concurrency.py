"""R40 on PostgreSQL with real threads: terms, commitment and the order are read and written
under the account's row lock."""

import threading
from decimal import Decimal

import pytest

from accounts.models import Account
from accounts.services import account_credit_terms_update
from manual_operations.models import ManualOperation, OperationType
from subscriptions.models import Order, OrderStatus
from subscriptions.services import order_place
from tests.concurrency import run_together
from tests.factories import AccountFactory, CustomerFactory, PlanFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

P = Decimal("40.00")


@pytest.fixture
def limited(manual_mode, manager_max):
    customer = CustomerFactory(username="racer", account=AccountFactory(name="Race Co", preapproved=True))
    account_credit_terms_update(actor=manager_max, account_id=customer.account_id, postpaid_limit=P * 10, reason="x")
    return customer, PlanFactory(name="Racing", billing_model="postpay", price=P)


def test_r40_twenty_simultaneous_orders_against_a_limit_of_ten_end_ten_provisioned_one_held_nine_refused(limited):
    customer, plan = limited
    outcomes = run_together(
        20,
        lambda i: (
            order_place(actor=customer, account_id=customer.account_id, plan_id=plan.pk, period="commercial").status
        ),
    )
    assert sorted(value for kind, value in outcomes if kind == "ok") == [OrderStatus.PROVISIONING] * 10 + [
        OrderStatus.WAITING_FOR_APPROVAL
    ], outcomes
    assert [value for kind, value in outcomes if kind == "refused"] == ["credit_review_open"] * 9
    assert Order.objects.filter(account_id=customer.account_id).count() == 11
    [review] = ManualOperation.objects.filter(account_id=customer.account_id)
    assert review.operation == OperationType.CREDIT_REVIEW and review.hold_reasons == ["over_limit"]
    assert review.credit_snapshot == {"postpaid_limit": "400.00", "commitment": "400.00", "increase": "40.00"}


def test_r40_a_limit_change_racing_an_order_serialises_on_the_account_lock(limited, manager_max):
    """Either the order sees the old limit (placed, then the limit is lowered to what is
    committed) or the new one (held): never an order checked against a limit being written."""
    customer, plan = limited
    for _ in range(9):
        order_place(actor=customer, account_id=customer.account_id, plan_id=plan.pk, period="commercial")
    results = {}
    barrier = threading.Barrier(2)

    def lower():
        barrier.wait()
        account_credit_terms_update(
            actor=manager_max, account_id=customer.account_id, postpaid_limit=P * 9, reason="lowered"
        )

    def place():
        barrier.wait()
        results["order"] = order_place(
            actor=customer, account_id=customer.account_id, plan_id=plan.pk, period="commercial"
        ).status

    threads = [threading.Thread(target=lower), threading.Thread(target=place)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    from django.db import connection

    connection.close()
    assert Account.objects.get(pk=customer.account_id).postpaid_limit == P * 9
    placed = Order.objects.filter(account_id=customer.account_id).order_by("-id").first()
    reviews = ManualOperation.objects.filter(account_id=customer.account_id).count()
    if results["order"] == OrderStatus.PROVISIONING:
        assert reviews == 0  # placed under the old limit of 10·P, before the change
    else:
        assert results["order"] == OrderStatus.WAITING_FOR_APPROVAL and reviews == 1
        assert ManualOperation.objects.get(order=placed).credit_snapshot["postpaid_limit"] == "360.00"
