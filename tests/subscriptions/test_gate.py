"""R5, R8–R13, R20, R21: the gate on placing an order."""

import pytest

from accounts.errors import PostpayDeclined, PostpayUnderReview
from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from manual_operations.models import ManualOperation, OperationStatus, OperationType
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from tests.factories import AccountFactory, CustomerFactory
from tests.support.actions import place
from tests.support.state import counts

pytestmark = pytest.mark.django_db


def test_r8_new_accounts_start_without_verification(manager_max):
    assert AccountFactory().postpay_permission == PostpayPermission.NONE
    assert AccountFactory(preapproved=True).postpay_permission == PostpayPermission.APPROVED


def test_r1_r13_automatic_mode_gates_nothing(customer_alice, postpaid_plan):
    order = place(customer_alice, postpaid_plan)
    assert order.status == OrderStatus.PROVISIONING
    customer_alice.account.refresh_from_db()
    assert customer_alice.account.postpay_permission == PostpayPermission.NONE
    assert ManualOperation.objects.count() == 0


def test_r9_first_gated_order_is_held_with_one_operation(
    manual_mode, customer_alice, postpaid_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        order = place(customer_alice, postpaid_plan)
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    account = Account.objects.get(pk=customer_alice.account_id)
    assert account.postpay_permission == PostpayPermission.UNDER_REVIEW
    operation = ManualOperation.objects.get()
    assert (operation.account_id, operation.order_id) == (account.pk, order.pk)
    assert operation.status == OperationStatus.APPROVAL_REQUIRED
    assert operation.get_operation_display() == "Allow an account has postpaid subscriptions"
    assert operation.operation == OperationType.POSTPAY_PERMISSION
    # Not provisioned: the only thing enqueued is the managers' notification (R19).
    from subscriptions.models import Subscription

    for callback in callbacks:
        callback()
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    assert Subscription.objects.count() == 0


def test_r9_hold_is_one_transaction(manual_mode, customer_alice, postpaid_plan, monkeypatch):
    """If creating the operation fails, neither the order nor the status change remains."""
    import manual_operations.services as ops

    def boom(**kwargs):
        raise RuntimeError("operation could not be created")

    monkeypatch.setattr(ops, "manual_operation_open", boom)
    with pytest.raises(RuntimeError):
        place(customer_alice, postpaid_plan)
    assert counts() == (0, 0, 0)
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.NONE


@pytest.mark.parametrize("actor_kind", ["customer", "staff"])
def test_r10_under_review_account_is_refused_and_nothing_is_created(
    actor_kind, manual_mode, customer_alice, staff_sam, postpaid_plan
):
    place(customer_alice, postpaid_plan)
    before = counts()
    actor = customer_alice if actor_kind == "customer" else staff_sam
    with pytest.raises(PostpayUnderReview) as exc:
        place(actor, postpaid_plan, account=customer_alice.account)
    assert exc.value.code == "postpay_under_review"
    assert exc.value.status == 409
    assert counts() == before


def _declined_account(customer, manager, plan):
    from manual_operations.services import manual_operation_decline

    order = place(customer, plan)
    manual_operation_decline(actor=manager, operation_id=order.manual_operation.pk, reason="credit_risk")
    return order


def test_r10_r6_declined_account_staff_see_declined_customer_sees_under_review(
    manual_mode, customer_alice, staff_sam, manager_max, postpaid_plan
):
    _declined_account(customer_alice, manager_max, postpaid_plan)
    before = counts()
    with pytest.raises(PostpayDeclined) as staff_exc:
        place(staff_sam, postpaid_plan, account=customer_alice.account)
    assert staff_exc.value.code == "postpay_declined"
    with pytest.raises(PostpayUnderReview) as customer_exc:
        place(customer_alice, postpaid_plan)
    assert customer_exc.value.code == "postpay_under_review"
    assert "declin" not in customer_exc.value.detail.lower()
    assert counts() == before


def test_r11_approved_account_orders_without_review(manual_mode, manager_max, postpaid_plan):
    customer = CustomerFactory(account=AccountFactory(preapproved=True))
    order = place(customer, postpaid_plan)
    assert order.status == OrderStatus.PROVISIONING
    assert ManualOperation.objects.count() == 0


def test_r5_prepaid_orders_are_never_gated(manual_mode, customer_alice, prepaid_plan):
    order = place(customer_alice, prepaid_plan)
    assert order.status == OrderStatus.WAITING_FOR_PAYMENT
    assert ManualOperation.objects.count() == 0


def test_r2_r5_trial_is_not_gated_by_default(manual_mode, customer_alice, postpaid_plan):
    order = place(customer_alice, postpaid_plan, period="trial")
    assert order.status == OrderStatus.PROVISIONING
    assert order.price == 0


def test_r2_trial_is_gated_when_the_option_is_on(manual_mode, customer_alice, postpaid_plan):
    postpay_settings_update(actor=None, trial_requires_approval=True)
    order = place(customer_alice, postpaid_plan, period="trial")
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL


def test_r5_operator_orders_obey_the_same_gate(manual_mode, staff_sam, alice_account, postpaid_plan):
    order = place(staff_sam, postpaid_plan, account=alice_account)
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    assert order.created_by == staff_sam


def test_r13_automatic_mode_lets_a_declined_account_order(manual_mode, customer_alice, manager_max, postpaid_plan):
    _declined_account(customer_alice, manager_max, postpaid_plan)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    order = place(customer_alice, postpaid_plan)
    assert order.status == OrderStatus.PROVISIONING


def test_r4_r13_changing_mode_keeps_statuses_and_held_orders(manual_mode, customer_alice, manager_max, postpaid_plan):
    held = place(customer_alice, postpaid_plan)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    held.refresh_from_db()
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.UNDER_REVIEW
    assert ManualOperation.objects.get().status == OperationStatus.APPROVAL_REQUIRED
    assert (
        not AuditLogEntry.objects.filter(object_type="account", to_value="none")
        .exclude(reason="account created")
        .exists()
    )


def test_r21_postpaid_goes_to_provisioning_prepaid_commercial_waits_for_payment(
    customer_alice, prepaid_plan, postpaid_plan
):
    assert place(customer_alice, postpaid_plan).status == OrderStatus.PROVISIONING
    assert place(customer_alice, prepaid_plan, period="trial").status == OrderStatus.PROVISIONING
    assert place(customer_alice, prepaid_plan).status == OrderStatus.WAITING_FOR_PAYMENT


def test_r20_order_records_type_price_placer_and_approver(
    manual_mode, customer_alice, manager_max, postpaid_plan, django_capture_on_commit_callbacks
):
    from manual_operations.services import manual_operation_approve

    order = place(customer_alice, postpaid_plan)
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    order.refresh_from_db()
    assert (order.type, order.period, order.price) == ("new", "commercial", postpaid_plan.price)
    assert order.created_by == customer_alice
    assert order.approved_by == manager_max
    assert order.status == OrderStatus.COMPLETED


def test_r5_renewal_and_switch_are_gated_too(manual_mode, staff_sam, manager_max, postpaid_plan, prepaid_plan):
    """An account that got a subscription in automatic mode (status none) is held on renewal."""
    from settings_app.services import postpay_settings_update as update
    from subscriptions.models import Subscription
    from subscriptions.services import subscription_renew, subscription_switch

    update(actor=manager_max, postpaid_permission_mode="automatic")
    customer = CustomerFactory(account=AccountFactory())
    sub_order = place(customer, prepaid_plan, period="trial")
    from subscriptions.services import order_provision

    order_provision(order_id=sub_order.pk)
    subscription = Subscription.objects.get()
    update(actor=manager_max, postpaid_permission_mode="manual")
    switch = subscription_switch(actor=customer, subscription_id=subscription.pk, plan_id=postpaid_plan.pk)
    assert switch.status == OrderStatus.WAITING_FOR_APPROVAL
    assert switch.type == "switch"
    other = CustomerFactory(account=AccountFactory())
    order_provision(order_id=place(other, postpaid_plan, period="trial").pk)
    renewal = subscription_renew(actor=other, subscription_id=Subscription.objects.get(account=other.account).pk)
    assert renewal.status == OrderStatus.WAITING_FOR_APPROVAL
    assert Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count() == 2
