"""R47: one trial per plan per account, through the service (the API and the portal are in
tests/api/test_trial_once_api.py and tests/portal/test_confirm.py)."""

import pytest

from manual_operations.services import manual_operation_decline
from settings_app.services import postpay_settings_update
from subscriptions.errors import TrialAlreadyUsed
from subscriptions.models import Order, OrderStatus, Period
from subscriptions.selectors import trial_used_plan_ids
from subscriptions.services import order_fail_provisioning, order_place
from tests.concurrency import run_together
from tests.support.actions import place
from tests.support.state import counts

pytestmark = pytest.mark.django_db


def refused(actor, plan, account=None):
    """Place a trial that must be refused ``trial_already_used``, and nothing created."""
    before = counts()
    with pytest.raises(TrialAlreadyUsed) as refusal:
        place(actor, plan, "trial", account=account)
    assert (refusal.value.code, refusal.value.status) == ("trial_already_used", 409)
    assert counts() == before


def test_r47_a_completed_trial_refuses_a_second_trial_of_the_plan(
    customer_alice, postpaid_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = place(customer_alice, postpaid_plan, "trial")
    first.refresh_from_db()
    assert first.status == OrderStatus.COMPLETED
    refused(customer_alice, postpaid_plan)


def test_r47_an_open_trial_counts_too(customer_alice, prepaid_plan):
    assert place(customer_alice, prepaid_plan, "trial").status == OrderStatus.PROVISIONING  # not yet provisioned
    refused(customer_alice, prepaid_plan)


def test_r47_an_operator_ordering_for_the_account_is_refused_alike(customer_alice, manager_max, prepaid_plan):
    place(customer_alice, prepaid_plan, "trial")
    refused(manager_max, prepaid_plan, account=customer_alice.account)


def test_r47_other_plans_trials_commercial_periods_and_other_accounts_still_go_ahead(
    customer_alice, outsider_oscar, postpaid_plan, prepaid_plan
):
    place(customer_alice, prepaid_plan, "trial")
    assert place(customer_alice, postpaid_plan, "trial").period == Period.TRIAL
    assert place(customer_alice, prepaid_plan, "commercial").status == OrderStatus.WAITING_FOR_PAYMENT
    assert place(outsider_oscar, prepaid_plan, "trial").status == OrderStatus.PROVISIONING


def test_r47_a_trial_whose_provisioning_failed_does_not_count(customer_alice, prepaid_plan):
    first = place(customer_alice, prepaid_plan, "trial")
    order_fail_provisioning(order_id=first.pk, error="tenant quota reached")
    assert trial_used_plan_ids(customer_alice.account_id) == set()
    assert place(customer_alice, prepaid_plan, "trial").status == OrderStatus.PROVISIONING


def test_r47_a_cancelled_trial_does_not_count(customer_alice, prepaid_plan):
    """No service cancels a trial today (only an order waiting for payment is cancelled, and
    trials never wait for payment, R21, R25); the rule is written for one all the same, so
    the row is made directly."""
    Order.objects.create(
        account=customer_alice.account,
        plan=prepaid_plan,
        period=Period.TRIAL,
        price=0,
        status=OrderStatus.CANCELLED,
        created_by=customer_alice,
    )
    assert trial_used_plan_ids(customer_alice.account_id) == set()
    assert place(customer_alice, prepaid_plan, "trial").status == OrderStatus.PROVISIONING


@pytest.mark.parametrize("decided", ["under_review", "declined"])
def test_r32_r47_a_trial_failed_by_a_decline_counts_as_the_held_one_it_reads_as(
    customer_alice, manager_max, postpaid_plan, decided
):
    """R2 on: the trial is held; declined, it fails with postpay_declined and still counts,
    exactly as the held one of an account under review — even once the mode is Automatically
    and the gate would let a trial through."""
    postpay_settings_update(actor=None, postpaid_permission_mode="manual", trial_requires_approval=True)
    held = place(customer_alice, postpaid_plan, "trial")
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    if decided == "declined":
        manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="credit_risk")
        held.refresh_from_db()
        assert (held.status, held.failure_reason) == (OrderStatus.PROVISIONING_FAILED, "postpay_declined")
    postpay_settings_update(actor=None, postpaid_permission_mode="automatic")
    assert trial_used_plan_ids(customer_alice.account_id) == {postpaid_plan.pk}
    refused(customer_alice, postpaid_plan)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r47_ten_simultaneous_trials_of_one_plan_create_one(customer_alice, prepaid_plan):
    """The account's row lock serialises placements: the check and the insert are one step."""
    outcomes = run_together(
        10,
        lambda i: (
            order_place(
                actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="trial"
            ).status
        ),
    )
    assert sorted(outcomes) == [("ok", OrderStatus.PROVISIONING)] + [("refused", "trial_already_used")] * 9
    assert Order.objects.filter(period=Period.TRIAL).count() == 1
