"""R39–R41 through the services: the credit check at order time, one open operation per account
of any type, and deciding a credit review."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from events.models import Event
from manual_operations.models import ManualOperation, OperationStatus, OperationType
from manual_operations.services import (
    manual_operation_approve,
    manual_operation_approve_many,
    manual_operation_decline,
)
from postpay_portal.errors import DomainError, InvalidInput
from settings_app.services import postpay_settings_update
from subscriptions.errors import CreditReviewOpen, InvalidOrderStatus
from subscriptions.models import Order, OrderStatus, Subscription
from subscriptions.selectors import account_commitment
from subscriptions.services import (
    order_provision,
    order_retry_provisioning,
    subscription_renew,
    subscription_switch,
)
from tests.factories import PlanFactory
from tests.support.actions import place
from tests.support.credit import P
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


def completed(customer, plan, period="commercial"):
    placed = place(customer, plan, period)
    order_provision(order_id=placed.pk)
    return Subscription.objects.get(origin_order=placed)


def review_of(placed):
    return ManualOperation.objects.get(order=placed)


# --- R39: the check --------------------------------------------------------------------------


def test_r11_an_approved_account_without_terms_is_never_checked(approved_customer, flex):
    for _ in range(3):
        assert place(approved_customer, flex).status == OrderStatus.PROVISIONING
    assert not ManualOperation.objects.exists()


def test_r39_an_order_over_the_limit_waits_for_a_credit_review_and_the_permission_stays_approved(
    approved_customer, flex, with_terms
):
    with_terms(approved_customer, limit=P * 2)
    first, second = place(approved_customer, flex), place(approved_customer, flex)
    held = place(approved_customer, flex)
    assert [first.status, second.status, held.status] == [OrderStatus.PROVISIONING] * 2 + [
        OrderStatus.WAITING_FOR_APPROVAL
    ]
    review = review_of(held)
    assert review.operation == OperationType.CREDIT_REVIEW and review.is_open
    assert review.hold_reasons == ["over_limit"]
    assert review.credit_snapshot == {"postpaid_limit": "200.00", "commitment": "200.00", "increase": "100.00"}
    assert Account.objects.get(pk=approved_customer.account_id).postpay_permission == PostpayPermission.APPROVED
    assert Event.objects.filter(type="manual_operation.created", object_id=review.pk).count() == 1


def test_r39_hold_reasons_come_in_their_order(approved_customer, flex, with_terms):
    with_terms(approved_customer, limit=Decimal("50.00"), review_on=timezone.localdate(), hold=True)
    held = place(approved_customer, flex)
    assert review_of(held).hold_reasons == ["over_limit", "review_due", "payment_hold"]


@pytest.mark.parametrize("days, held", [(-3, True), (0, True), (1, False)])
def test_r39_the_review_date_holds_from_that_day(approved_customer, flex, with_terms, days, held):
    with_terms(approved_customer, review_on=timezone.localdate() + datetime.timedelta(days=days))
    placed = place(approved_customer, flex)
    assert (placed.status == OrderStatus.WAITING_FOR_APPROVAL) is held
    if held:
        assert review_of(placed).hold_reasons == ["review_due"]


def test_r39_a_payment_hold_holds_an_order_that_raises_the_commitment(approved_customer, flex, with_terms):
    with_terms(approved_customer, hold=True)
    assert review_of(place(approved_customer, flex)).hold_reasons == ["payment_hold"]


def test_r39_orders_with_no_increase_are_never_held_renewals_cheaper_switches_trials(
    approved_customer, flex, big, box, with_terms
):
    expensive = completed(approved_customer, big)
    counted = completed(approved_customer, flex)
    another = completed(approved_customer, flex)
    trial = completed(approved_customer, flex, "trial")
    with_terms(approved_customer, limit=Decimal("0.00"), review_on=timezone.localdate(), hold=True)
    before = ManualOperation.objects.count()
    renewal = subscription_renew(actor=approved_customer, subscription_id=counted.pk)
    cheaper = subscription_switch(actor=approved_customer, subscription_id=expensive.pk, plan_id=flex.pk)
    to_prepaid = subscription_switch(actor=approved_customer, subscription_id=another.pk, plan_id=box.pk)
    new_trial = place(approved_customer, PlanFactory(name="Flex too", billing_model="postpay", trial_days=7), "trial")
    assert trial.period == "trial"
    for placed in (renewal, cheaper, new_trial):
        assert placed.status == OrderStatus.PROVISIONING, placed
    assert to_prepaid.status in (OrderStatus.PROVISIONING, OrderStatus.WAITING_FOR_PAYMENT)
    assert ManualOperation.objects.count() == before


def test_r38_r39_a_renewal_that_turns_a_trial_commercial_is_an_increase(approved_customer, flex, with_terms):
    trial = completed(approved_customer, flex, "trial")
    with_terms(approved_customer, limit=Decimal("50.00"))
    held = subscription_renew(actor=approved_customer, subscription_id=trial.pk)
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    assert review_of(held).credit_snapshot["increase"] == "100.00"


def test_r39_a_switch_to_a_dearer_plan_is_checked_for_its_difference(approved_customer, flex, big, with_terms):
    counted = completed(approved_customer, flex)
    with_terms(approved_customer, limit=Decimal("200.00"))
    held = subscription_switch(actor=approved_customer, subscription_id=counted.pk, plan_id=big.pk)
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    assert review_of(held).credit_snapshot == {"postpaid_limit": "200.00", "commitment": "100.00", "increase": "150.00"}


def test_r43_terms_survive_a_mode_switch_and_are_not_checked_in_automatically(
    approved_customer, flex, with_terms, manager_max
):
    with_terms(approved_customer, limit=Decimal("0.00"), hold=True)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    assert place(approved_customer, flex).status == OrderStatus.PROVISIONING  # R13: nothing gated
    account = Account.objects.get(pk=approved_customer.account_id)
    assert (account.postpaid_limit, account.payment_hold) == (Decimal("0.00"), True)  # R4, R43: kept
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    assert place(approved_customer, flex).status == OrderStatus.WAITING_FOR_APPROVAL


def test_r43_an_open_credit_review_stays_open_across_a_mode_switch(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, hold=True)
    review = review_of(place(approved_customer, flex))
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    assert ManualOperation.objects.get(pk=review.pk).is_open  # R4
    manual_operation_approve(actor=manager_max, operation_id=review.pk)
    assert Order.objects.get(pk=review.order_id).status == OrderStatus.PROVISIONING


# --- R40: one open operation, of any type ------------------------------------------------------


def test_r40_while_a_credit_review_is_open_an_increase_is_refused_and_nothing_is_created(
    approved_customer, flex, with_terms
):
    with_terms(approved_customer, hold=True)
    place(approved_customer, flex)
    before = snapshot()
    with pytest.raises(CreditReviewOpen) as refusal:
        place(approved_customer, flex)
    assert refusal.value.code == "credit_review_open"
    assert snapshot() == before


def test_r40_while_a_credit_review_is_open_an_order_with_no_increase_goes_ahead(approved_customer, flex, with_terms):
    counted = completed(approved_customer, flex)
    with_terms(approved_customer, hold=True)
    place(approved_customer, flex)  # held: the review is open
    assert subscription_renew(actor=approved_customer, subscription_id=counted.pk).status == OrderStatus.PROVISIONING
    assert place(approved_customer, flex, "trial").status == OrderStatus.PROVISIONING


# --- R41: deciding -----------------------------------------------------------------------------


def test_r41_approve_releases_the_order_and_keeps_the_permission(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, hold=True)
    held = place(approved_customer, flex)
    manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk, note="paid since")
    held.refresh_from_db()
    assert (held.status, held.approved_by) == (OrderStatus.PROVISIONING, manager_max)
    account = Account.objects.get(pk=approved_customer.account_id)
    assert account.postpay_permission == PostpayPermission.APPROVED
    assert account.payment_hold is True  # R41: stays until it is reported cleared


def test_r41_approve_may_raise_the_limit_in_the_same_decision(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, limit=P)
    place(approved_customer, flex)
    held = place(approved_customer, flex)
    manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk, postpaid_limit=Decimal("500.00"))
    assert Account.objects.get(pk=approved_customer.account_id).postpaid_limit == Decimal("500.00")
    entry = AuditLogEntry.objects.filter(object_type="account", field="postpaid_limit").latest("id")
    assert (entry.from_value, entry.to_value, entry.actor) == ("100.00", "500.00", manager_max)
    assert Event.objects.filter(type="account.credit_terms_changed", object_id=held.account_id).count() == 2


def test_r41_a_new_limit_below_the_commitment_is_refused_and_nothing_changes(
    approved_customer, flex, with_terms, manager_max
):
    with_terms(approved_customer, limit=P)
    place(approved_customer, flex)
    held = place(approved_customer, flex)  # the commitment with it is 200
    before = snapshot()
    with pytest.raises(InvalidInput) as refusal:
        manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk, postpaid_limit=Decimal("199.99"))
    assert list(refusal.value.fields) == ["postpaid_limit"]
    assert snapshot() == before
    assert ManualOperation.objects.get(pk=review_of(held).pk).is_open
    manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk, postpaid_limit=Decimal("200.00"))


def test_r41_approving_a_review_due_without_a_new_date_clears_the_date(
    approved_customer, flex, with_terms, manager_max
):
    with_terms(approved_customer, review_on=timezone.localdate())
    held = place(approved_customer, flex)
    manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk)
    assert Account.objects.get(pk=approved_customer.account_id).credit_review_on is None
    assert place(approved_customer, flex).status == OrderStatus.PROVISIONING  # the review took place


def test_r41_approving_a_review_due_with_a_new_date_keeps_that_date(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, review_on=timezone.localdate())
    held = place(approved_customer, flex)
    later = timezone.localdate() + datetime.timedelta(days=90)
    manual_operation_approve(actor=manager_max, operation_id=review_of(held).pk, credit_review_on=later)
    assert Account.objects.get(pk=approved_customer.account_id).credit_review_on == later


def test_r41_decline_fails_only_the_held_order_and_the_account_stays_approved_with_its_terms(
    approved_customer, flex, with_terms, manager_max
):
    with_terms(approved_customer, limit=P)
    place(approved_customer, flex)
    held = place(approved_customer, flex)
    manual_operation_decline(actor=manager_max, operation_id=review_of(held).pk, reason="credit_risk")
    held.refresh_from_db()
    assert (held.status, held.failure_reason) == (OrderStatus.PROVISIONING_FAILED, "credit_review_declined")
    account = Account.objects.get(pk=approved_customer.account_id)
    assert (account.postpay_permission, account.postpaid_limit) == (PostpayPermission.APPROVED, P)
    with pytest.raises(InvalidOrderStatus):
        order_retry_provisioning(actor=manager_max, order_id=held.pk)  # R22: not retried
    assert account_commitment(account.pk) == P  # the failed order no longer counts


def test_r14_r41_a_decided_credit_review_cannot_be_decided_again(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, hold=True)
    review = review_of(place(approved_customer, flex))
    manual_operation_approve(actor=manager_max, operation_id=review.pk)
    with pytest.raises(DomainError) as refusal:
        manual_operation_decline(actor=manager_max, operation_id=review.pk, reason="other")
    assert refusal.value.code == "operation_already_decided" and "approved by max" in refusal.value.detail


def test_r18_r41_bulk_decisions_decide_credit_reviews_too(approved_customer, flex, with_terms, manager_max):
    with_terms(approved_customer, review_on=timezone.localdate())
    review = review_of(place(approved_customer, flex))
    done, refused = manual_operation_approve_many(actor=manager_max, operation_ids=[review.pk])
    assert [operation.pk for operation in done] == [review.pk] and refused == []
    assert ManualOperation.objects.get(pk=review.pk).status == OperationStatus.APPROVED
    assert Account.objects.get(pk=approved_customer.account_id).credit_review_on is None
