"""R38: an account's commitment, computed by the one selector, equals the commitment replayed
in plain Python over random histories of new, renewal and switch orders — trials and prepaid
plans among them — placed, paid, cancelled, failed and completed."""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from postpay_portal.errors import DomainError
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus, Subscription
from subscriptions.selectors import account_commitment, accounts_with_commitment
from subscriptions.services import (
    order_cancel,
    order_fail_provisioning,
    order_pay,
    order_place,
    order_provision,
    subscription_renew,
    subscription_switch,
)
from tests.factories import AccountFactory, CustomerFactory, OperatorFactory, PlanFactory

pytestmark = pytest.mark.django_db

# name, billing model, price, trial days
PLANS = [
    ("Flex", "postpay", Decimal("29.00"), 14),
    ("Metered", "postpay", Decimal("199.00"), 0),
    ("Box", "prepay", Decimal("9.90"), 7),
]
OPEN = {OrderStatus.WAITING_FOR_PAYMENT, OrderStatus.PROVISIONING, OrderStatus.WAITING_FOR_APPROVAL}


class Replay:
    """The history as plain Python: subscriptions ``{id: [plan, period]}`` and orders
    ``{id: [type, plan, period, subscription id, status]}``, and R38 read off them."""

    def __init__(self, plans):
        self.plans = plans  # name → (billing model, price)
        self.subscriptions = {}
        self.orders = {}

    def postpaid_price(self, plan):
        billing_model, price = self.plans[plan]
        return price if billing_model == "postpay" else Decimal("0")

    def counted(self, subscription_id):
        plan, period = self.subscriptions[subscription_id]
        return self.postpaid_price(plan) if period == "commercial" else Decimal("0")

    def commitment(self):
        total = sum((self.counted(pk) for pk in self.subscriptions), Decimal("0"))
        for kind, plan, period, subscription_id, status in self.orders.values():
            if status not in OPEN:
                continue
            if kind == "new" and period == "commercial":
                total += self.postpaid_price(plan)
            elif kind == "switch":
                total += self.postpaid_price(plan) - self.counted(subscription_id)
            elif kind == "renewal" and self.subscriptions[subscription_id][1] == "trial":
                total += self.postpaid_price(plan)
        return total


class CommitmentHistories(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        postpay_settings_update(actor=None, postpaid_permission_mode="automatic")  # nothing held: R38 alone
        self.staff = OperatorFactory(username="cm-operator")
        self.customer = CustomerFactory(username="cm-customer", account=AccountFactory(name="Commit Co"))
        self.plans = [PlanFactory(name=n, billing_model=m, price=p, trial_days=t) for n, m, p, t in PLANS]
        self.replay = Replay({plan.pk: (plan.billing_model, plan.price) for plan in self.plans})

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def record(self, order):
        self.replay.orders[order.pk] = [order.type, order.plan_id, order.period, order.subscription_id, order.status]

    def attempt(self, action):
        try:
            self.record(action())
        except DomainError:
            pass  # refused: nothing happened (order_in_progress, invalid status…)

    def pick(self, collection, index):
        keys = sorted(collection)
        return keys[index % len(keys)] if keys else None

    @rule(plan=st.integers(0, len(PLANS) - 1), trial=st.booleans())
    def place(self, plan, trial):
        plan = self.plans[plan]
        period = "trial" if trial and plan.trial_days else "commercial"
        self.attempt(
            lambda: order_place(
                actor=self.customer, account_id=self.customer.account_id, plan_id=plan.pk, period=period
            )
        )

    @rule(index=st.integers(0, 50))
    def renew(self, index):
        subscription = self.pick(self.replay.subscriptions, index)
        if subscription is not None:
            self.attempt(lambda: subscription_renew(actor=self.customer, subscription_id=subscription))

    @rule(index=st.integers(0, 50), plan=st.integers(0, len(PLANS) - 1))
    def switch(self, index, plan):
        subscription = self.pick(self.replay.subscriptions, index)
        if subscription is not None:
            self.attempt(
                lambda: subscription_switch(
                    actor=self.customer, subscription_id=subscription, plan_id=self.plans[plan].pk
                )
            )

    def open_of(self, status, index):
        return self.pick({pk for pk, order in self.replay.orders.items() if order[4] == status}, index)

    @rule(index=st.integers(0, 50))
    def pay(self, index):
        pk = self.open_of(OrderStatus.WAITING_FOR_PAYMENT, index)
        if pk is not None:
            self.attempt(lambda: order_pay(actor=self.staff, order_id=pk))

    @rule(index=st.integers(0, 50))
    def cancel(self, index):
        pk = self.open_of(OrderStatus.WAITING_FOR_PAYMENT, index)
        if pk is not None:
            self.attempt(lambda: order_cancel(actor=self.customer, order_id=pk))

    @rule(index=st.integers(0, 50))
    def fail(self, index):
        pk = self.open_of(OrderStatus.PROVISIONING, index)
        if pk is not None:
            self.record(order_fail_provisioning(order_id=pk, error="platform said no"))

    @rule(index=st.integers(0, 50))
    def complete(self, index):
        pk = self.open_of(OrderStatus.PROVISIONING, index)
        if pk is None:
            return
        kind, plan, period, subscription_id, _ = self.replay.orders[pk]
        order_provision(order_id=pk)
        if kind == "new":
            subscription_id = Subscription.objects.get(origin_order_id=pk).pk
            self.replay.subscriptions[subscription_id] = [plan, period]
        elif kind == "renewal":
            self.replay.subscriptions[subscription_id][1] = "commercial"
        else:
            self.replay.subscriptions[subscription_id] = [plan, "commercial"]
        self.replay.orders[pk][4] = Order.objects.get(pk=pk).status

    @invariant()
    def the_selector_agrees_with_the_replay(self):
        expected = self.replay.commitment()
        assert account_commitment(self.customer.account_id) == expected
        annotated = accounts_with_commitment().get(pk=self.customer.account_id).postpaid_commitment
        assert annotated == expected


@pytest.mark.slow  # a long Hypothesis run
def test_r38_the_commitment_selector_equals_a_replay_of_random_histories():
    run_state_machine_as_test(
        CommitmentHistories,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_r38_an_order_increase_is_the_commitment_with_it_minus_without_it(manual_mode, postpaid_plan, prepaid_plan):
    """``credit.order_increase`` (the check's arithmetic, before the order exists) against the
    selector once the order is stored, for each order type."""
    from subscriptions.credit import order_increase

    customer = CustomerFactory(username="inc", account=AccountFactory(name="Inc Co", preapproved=True))

    def placed_increase(place, **kwargs):
        before = account_commitment(customer.account_id)
        predicted = order_increase(**kwargs)
        order = place()
        assert account_commitment(customer.account_id) - before == predicted, order
        return order

    def sub_of(order):
        order_provision(order_id=order.pk)
        return Subscription.objects.get(origin_order=order)

    account_id = customer.account_id
    new = placed_increase(
        lambda: order_place(actor=customer, account_id=account_id, plan_id=postpaid_plan.pk, period="commercial"),
        order_type="new",
        plan=postpaid_plan,
        period="commercial",
    )
    counted = sub_of(new)
    trial = sub_of(order_place(actor=customer, account_id=account_id, plan_id=postpaid_plan.pk, period="trial"))
    placed_increase(
        lambda: subscription_renew(actor=customer, subscription_id=trial.pk),
        order_type="renewal",
        plan=postpaid_plan,
        period="commercial",
        subscription=trial,
    )
    placed_increase(
        lambda: subscription_switch(actor=customer, subscription_id=counted.pk, plan_id=prepaid_plan.pk),
        order_type="switch",
        plan=prepaid_plan,
        period="commercial",
        subscription=counted,
    )
