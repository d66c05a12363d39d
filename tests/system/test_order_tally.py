"""The orders' tally by status (``OrderTally``, decision 109): the counts it gives equal
the orders' own, after any history, through every write path, at any fold.

Hypothesis writes the histories: orders placed, held, paid, cancelled, approved and declined
one by one or in bulk, provisioned, failed and retried, renewed and switched, the mode
switched, orders changed and deleted by hand, the tally folded at any point. After every
step, each status's count — and the API's ``count`` for staff — must equal the orders'.
The same module runs on SQLite, the embedded default, in ``test_order_tally_on_sqlite``.
"""

import os
import subprocess
import sys
from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models.deletion import ProtectedError
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from rest_framework.test import APIClient

from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_approve_many, manual_operation_decline
from postpay_portal.errors import DomainError
from settings_app.services import postpay_settings_update
from subscriptions import order_tally
from subscriptions.models import Order, OrderStatus, OrderTally
from subscriptions.selectors import order_count, order_counts_by_status
from subscriptions.services import (
    order_cancel,
    order_fail_provisioning,
    order_pay,
    order_place,
    order_provision,
    order_retry_provisioning,
    order_tally_compact,
    subscription_renew,
    subscription_switch,
)
from tests.factories import AccountFactory, CustomerFactory, ManagerFactory, PlanFactory
from tests.servers import ROOT

pytestmark = pytest.mark.django_db

PLANS = [("Cloud Flex", "postpay", "29.00", 30), ("Metered", "postpay", "199.00", 0), ("Starter", "prepay", "9.90", 14)]
INDEX = st.integers(min_value=0, max_value=7)


def exact_counts():
    counts = dict.fromkeys(OrderStatus.values, 0)
    counts.update(Counter(Order.objects.values_list("status", flat=True)))
    return counts


def assert_tally_exact(staff):
    exact = exact_counts()
    assert order_counts_by_status() == exact
    assert order_count(user=staff) == sum(exact.values())
    for status, n in exact.items():
        assert order_count(user=staff, status=status) == n, status


class OrderHistories(RuleBasedStateMachine):
    """One example: a fresh world in a savepoint, rolled back in ``teardown``."""

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.manager = ManagerFactory(username="tally-manager")
        postpay_settings_update(actor=None, postpaid_permission_mode="manual", trial_requires_approval=False)
        self.plans = [PlanFactory(name=n, billing_model=m, price=p, trial_days=t) for n, m, p, t in PLANS]
        self.customers = [
            CustomerFactory(username=f"tally{i}", account=AccountFactory(name=f"Tally {i}")) for i in range(3)
        ]

    def act(self, action, run_on_commit=True):
        """A service call as a request makes it: refused ones leave nothing; provisioning
        (on commit) runs inline, or is left for later, as a lost message would leave it."""
        with TestCase.captureOnCommitCallbacks(execute=run_on_commit):
            try:
                action()
            except DomainError:
                pass

    @staticmethod
    def nth(queryset, index):
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        return ids[index % len(ids)] if ids else None

    def nth_order(self, index, status=None):
        return self.nth(Order.objects.filter(status=status) if status else Order.objects.all(), index)

    # --- customers ------------------------------------------------------------------------

    @rule(
        customer=st.integers(0, 2),
        plan=st.integers(0, len(PLANS) - 1),
        period=st.sampled_from(["trial", "commercial"]),
        run_on_commit=st.booleans(),
    )
    def place(self, customer, plan, period, run_on_commit):
        customer = self.customers[customer]
        self.act(
            lambda: order_place(
                actor=customer, account_id=customer.account_id, plan_id=self.plans[plan].pk, period=period
            ),
            run_on_commit,
        )

    @rule(index=INDEX, run_on_commit=st.booleans())
    def renew(self, index, run_on_commit):
        from subscriptions.models import Subscription

        subscription = self.nth(Subscription.objects.all(), index)
        if subscription is not None:
            self.act(lambda: subscription_renew(actor=self.manager, subscription_id=subscription), run_on_commit)

    @rule(index=INDEX, plan=st.integers(0, len(PLANS) - 1))
    def switch(self, index, plan):
        from subscriptions.models import Subscription

        subscription = self.nth(Subscription.objects.all(), index)
        if subscription is not None:
            self.act(
                lambda: subscription_switch(
                    actor=self.manager, subscription_id=subscription, plan_id=self.plans[plan].pk
                )
            )

    @rule(index=INDEX)
    def cancel(self, index):
        order = self.nth_order(index)
        if order is not None:
            self.act(lambda: order_cancel(actor=self.manager, order_id=order))

    # --- operators and the worker -----------------------------------------------------------

    @rule(index=INDEX, run_on_commit=st.booleans())
    def pay(self, index, run_on_commit):
        order = self.nth_order(index, OrderStatus.WAITING_FOR_PAYMENT)
        if order is not None:
            self.act(lambda: order_pay(actor=self.manager, order_id=order), run_on_commit)

    @rule(index=INDEX, approve=st.booleans(), run_on_commit=st.booleans())
    def decide(self, index, approve, run_on_commit):
        operation = self.nth(ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED), index)
        if operation is None:
            return
        if approve:
            self.act(lambda: manual_operation_approve(actor=self.manager, operation_id=operation), run_on_commit)
        else:
            self.act(lambda: manual_operation_decline(actor=self.manager, operation_id=operation, reason="credit_risk"))

    @rule(run_on_commit=st.booleans())
    def approve_all_in_bulk(self, run_on_commit):
        """The bulk path: each operation decided on its own in one transaction per chunk."""
        operations = list(ManualOperation.objects.values_list("pk", flat=True))
        if operations:
            self.act(lambda: manual_operation_approve_many(actor=self.manager, operation_ids=operations), run_on_commit)

    @rule(index=INDEX)
    def provision(self, index):
        order = self.nth_order(index, OrderStatus.PROVISIONING)
        if order is not None:
            self.act(lambda: order_provision(order_id=order))

    @rule(index=INDEX)
    def fail_provisioning(self, index):
        order = self.nth_order(index, OrderStatus.PROVISIONING)
        if order is not None:
            self.act(lambda: order_fail_provisioning(order_id=order, error="platform said no"))

    @rule(index=INDEX, run_on_commit=st.booleans())
    def retry(self, index, run_on_commit):
        order = self.nth_order(index, OrderStatus.PROVISIONING_FAILED)
        if order is not None:
            self.act(lambda: order_retry_provisioning(actor=self.manager, order_id=order), run_on_commit)

    @rule(manual=st.booleans())
    def switch_the_mode(self, manual):
        postpay_settings_update(actor=self.manager, postpaid_permission_mode="manual" if manual else "automatic")

    # --- outside the services ---------------------------------------------------------------

    @rule(index=INDEX)
    def cancel_by_hand(self, index):
        """A support engineer's ``UPDATE``: no service, still counted."""
        order = self.nth_order(index)
        if order is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE subscriptions_order SET status = %s WHERE id = %s", [OrderStatus.CANCELLED, order]
                )

    @rule(index=INDEX)
    def delete(self, index):
        order = self.nth_order(index)
        if order is None:
            return
        try:
            with transaction.atomic():
                Order.objects.filter(pk=order).delete()
        except ProtectedError:
            pass  # an order with a subscription, an operation or attempts stays

    @rule()
    def rolled_back(self):
        """A write whose transaction rolls back leaves no trace in the tally."""
        customer = self.customers[0]
        with transaction.atomic():
            order_place(actor=customer, account_id=customer.account_id, plan_id=self.plans[2].pk, period="commercial")
            transaction.set_rollback(True)

    @rule()
    def fold(self):
        order_tally_compact()
        assert OrderTally.objects.count() <= len(OrderStatus.values)

    # --- the property -------------------------------------------------------------------------

    @invariant()
    def counts_are_exact(self):
        assert_tally_exact(self.manager)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)


@pytest.mark.slow  # a long Hypothesis run
def test_generated_histories_keep_every_status_count_exact():
    run_state_machine_as_test(
        OrderHistories,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def _held_and_released(manager, plan, n):
    customers = [CustomerFactory(account=AccountFactory()) for _ in range(n)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        for customer in customers:
            order_place(actor=customer, account_id=customer.account_id, plan_id=plan.pk, period="commercial")
        operations = list(
            ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        manual_operation_approve(actor=manager, operation_id=operations[0])
        manual_operation_decline(actor=manager, operation_id=operations[1], reason="credit_risk")
    return customers


def test_install_counts_the_orders_written_while_the_triggers_were_missing(manual_mode, postpaid_plan):
    """What a deployment does: the migration (and, on SQLite, every ``migrate`` after a table
    rebuild) counts the orders already there."""
    manager = ManagerFactory()
    order_tally.uninstall(connection)
    _held_and_released(manager, postpaid_plan, 4)
    assert not OrderTally.objects.exists()

    assert order_tally.install(connection) is True
    assert order_tally.install(connection) is False  # all there: nothing done
    assert_tally_exact(manager)
    _held_and_released(manager, postpaid_plan, 3)
    assert_tally_exact(manager)


def test_the_api_count_is_exact_without_counting_the_orders(manual_mode, postpaid_plan):
    """CONTRACT §4's ``count``; staff's read the tally, a customer's (masked, R24) their
    own orders."""
    manager = ManagerFactory()
    _held_and_released(manager, postpaid_plan, 4)
    staff = APIClient()
    staff.force_authenticate(manager)
    with CaptureQueriesContext(connection) as queries:
        listed = staff.get("/api/v1/orders/", {"status": OrderStatus.WAITING_FOR_APPROVAL}).json()
    assert listed["count"] == Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count() == 2
    assert not [
        q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and 'subscriptions_order"' in q["sql"]
    ]
    assert staff.get("/api/v1/orders/").json()["count"] == Order.objects.count() == 4
    assert staff.get("/api/v1/orders/", {"status": OrderStatus.PROVISIONING_FAILED}).json()["count"] == 1

    # R24: the declined customer's failed order counts as waiting for approval, for them only.
    failed = Order.objects.get(status=OrderStatus.PROVISIONING_FAILED)
    customer = APIClient()
    customer.force_authenticate(failed.account.users.get())
    assert customer.get("/api/v1/orders/", {"status": OrderStatus.WAITING_FOR_APPROVAL}).json()["count"] == 1
    assert customer.get("/api/v1/orders/", {"status": OrderStatus.PROVISIONING_FAILED}).json()["count"] == 0
    assert customer.get("/api/v1/orders/").json()["count"] == 1


@pytest.mark.postgres
def test_a_truncate_empties_the_tally(manual_mode, postpaid_plan):
    manager = ManagerFactory()
    _held_and_released(manager, postpaid_plan, 2)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign keys' checks, now
        cursor.execute("TRUNCATE subscriptions_order CASCADE")
    assert_tally_exact(manager)
    assert order_count(user=manager) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_folds_keep_the_counts_exact(postpaid_plan, prepaid_plan):
    """Twenty writers placing and paying orders at once with two folds running among them:
    appending never waits on another writer, and no fold loses or doubles a row."""
    from tests.concurrency import run_together

    manager = ManagerFactory()
    customers = [CustomerFactory(account=AccountFactory()) for _ in range(18)]

    def action(i):
        if i >= len(customers):
            for _ in range(5):
                order_tally_compact()
            return "folded"
        customer = customers[i]
        for _ in range(3):
            order = order_place(
                actor=customer, account_id=customer.account_id, plan_id=prepaid_plan.pk, period="commercial"
            )
            order_pay(actor=manager, order_id=order.pk)
        return "placed"

    outcomes = run_together(len(customers) + 2, action)
    assert Counter(outcomes) == {("ok", "placed"): 18, ("ok", "folded"): 2}
    assert_tally_exact(manager)
    assert (
        order_count(user=manager, status=OrderStatus.PROVISIONING)
        + order_count(user=manager, status=OrderStatus.COMPLETED)
        == 54
    )
    order_tally_compact()
    assert OrderTally.objects.count() <= len(OrderStatus.values)
    assert_tally_exact(manager)


@pytest.mark.subprocess
@pytest.mark.postgres  # the outer run is on PostgreSQL; this runs the module again on SQLite
def test_order_tally_on_sqlite(tmp_path):
    """The embedded default keeps the tally with its own triggers: the same tests, on SQLite,
    plus a table rebuild by a migration and the backend's statement record
    (``tests/system/sqlite_only.py``)."""
    env = {**os.environ, "POSTPAY_TEST_DB": "sqlite"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not postgres",
            "tests/system/test_order_tally.py",
            "tests/system/sqlite_only.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
