"""R12, R14–R16, R19: deciding manual operations."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import Account, PostpayPermission
from manual_operations.errors import OperationAlreadyDecided
from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_decline
from postpay_portal.errors import InvalidInput, NotFound, PermissionDenied
from subscriptions.models import Order, OrderStatus, Subscription
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def test_r15_approve_approves_account_and_provisions_after_commit(
    held_order, manager_max, django_capture_on_commit_callbacks
):
    operation = held_order.manual_operation
    with django_capture_on_commit_callbacks() as callbacks:
        manual_operation_approve(actor=manager_max, operation_id=operation.pk, note="known customer")
    # Inside the transaction nothing was provisioned; the task waits for the commit.
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.PROVISIONING
    assert held_order.approved_by == manager_max
    assert Subscription.objects.count() == 0
    assert len(callbacks) == 1
    callbacks[0]()
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.COMPLETED
    assert Subscription.objects.get().origin_order == held_order
    operation.refresh_from_db()
    assert operation.status == OperationStatus.APPROVED
    assert (operation.decided_by, operation.note) == (manager_max, "known customer")
    assert operation.decided_at is not None
    assert Account.objects.get(pk=held_order.account_id).postpay_permission == PostpayPermission.APPROVED


def test_r11_after_approval_the_next_order_needs_no_review(held_order, manager_max, customer_alice, postpaid_plan):
    manual_operation_approve(actor=manager_max, operation_id=held_order.manual_operation.pk)
    again = place(customer_alice, postpaid_plan)
    assert again.status == OrderStatus.PROVISIONING
    assert ManualOperation.objects.count() == 1


def test_r16_decline_fails_the_order_and_tells_the_customer_nothing(
    held_order, manager_max, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_decline(
            actor=manager_max,
            operation_id=held_order.manual_operation.pk,
            reason="fraud_suspected",
            note="mismatching address",
        )
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.PROVISIONING_FAILED
    assert held_order.failure_reason == "postpay_declined"
    operation = ManualOperation.objects.get()
    assert (operation.status, operation.reason, operation.note) == (
        "declined",
        "fraud_suspected",
        "mismatching address",
    )
    assert Account.objects.get(pk=held_order.account_id).postpay_permission == PostpayPermission.DECLINED
    customer_addresses = {"alice@alice.example", "billing@alice.example"}
    assert not [m for m in mail.outbox if customer_addresses & set(m.to)]


def test_r16_decline_requires_a_structured_reason(held_order, manager_max):
    for reason in ["", None, "because", "CREDIT_RISK"]:
        with pytest.raises(InvalidInput) as exc:
            manual_operation_decline(actor=manager_max, operation_id=held_order.manual_operation.pk, reason=reason)
        assert exc.value.code == "invalid"
        assert "reason" in exc.value.fields
    assert ManualOperation.objects.get().status == OperationStatus.APPROVAL_REQUIRED


@pytest.mark.parametrize("decide", ["approve", "decline"])
def test_r14_only_managers_decide(decide, held_order, staff_sam, customer_alice):
    for actor in (staff_sam, customer_alice, None):
        with pytest.raises(PermissionDenied) as exc:
            if decide == "approve":
                manual_operation_approve(actor=actor, operation_id=held_order.manual_operation.pk)
            else:
                manual_operation_decline(actor=actor, operation_id=held_order.manual_operation.pk, reason="other")
        assert exc.value.code == "permission_denied"
    assert ManualOperation.objects.get().status == OperationStatus.APPROVAL_REQUIRED
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.WAITING_FOR_APPROVAL


def test_r14_superuser_may_decide(held_order):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    manual_operation_approve(actor=root, operation_id=held_order.manual_operation.pk)
    assert ManualOperation.objects.get().status == OperationStatus.APPROVED


def test_r14_a_decision_is_final_and_names_who_decided(held_order, manager_max):
    manual_operation_decline(actor=manager_max, operation_id=held_order.manual_operation.pk, reason="credit_risk")
    for second in (
        lambda: manual_operation_approve(actor=manager_max, operation_id=held_order.manual_operation.pk),
        lambda: manual_operation_decline(
            actor=manager_max, operation_id=held_order.manual_operation.pk, reason="other"
        ),
    ):
        with pytest.raises(OperationAlreadyDecided) as exc:
            second()
        assert exc.value.code == "operation_already_decided"
        assert exc.value.status == 409
        assert "max" in exc.value.detail and "declined" in exc.value.detail
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.PROVISIONING_FAILED
    assert Account.objects.get(pk=held_order.account_id).postpay_permission == PostpayPermission.DECLINED


def test_r7_approved_and_declined_are_final_in_the_model(held_order, manager_max):
    from django_fsm import TransitionNotAllowed

    manual_operation_approve(actor=manager_max, operation_id=held_order.manual_operation.pk)
    account = Account.objects.get(pk=held_order.account_id)
    for transition in ("request_postpay_review", "refuse_postpay", "grant_postpay", "preapprove_postpay"):
        with pytest.raises(TransitionNotAllowed):
            getattr(account, transition)()


def test_r6_permission_cannot_be_assigned_directly(alice_account):
    with pytest.raises(AttributeError):
        alice_account.postpay_permission = PostpayPermission.APPROVED


def test_r12_database_allows_one_open_operation_per_account(held_order):
    """The duplicate has an order of its own, so that only R12's constraint can refuse it."""
    held_order = Order.objects.get(pk=held_order.pk)
    other_order = Order.objects.create(
        type=held_order.type,
        account_id=held_order.account_id,
        plan_id=held_order.plan_id,
        period=held_order.period,
        price=held_order.price,
        status=held_order.status,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ManualOperation.objects.create(account_id=held_order.account_id, order=other_order, description="dup")
    assert ManualOperation.objects.filter(account_id=held_order.account_id).count() == 1


def test_unknown_operation_is_not_found(manager_max):
    with pytest.raises(NotFound) as exc:
        manual_operation_approve(actor=manager_max, operation_id=999999)
    assert exc.value.code == "not_found"


def test_r19_managers_are_emailed_when_an_operation_is_created(
    manual_mode, customer_alice, postpaid_plan, manager_max, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        place(customer_alice, postpaid_plan)
    assert [m.to for m in mail.outbox] == [[manager_max.email]]
    assert "Approval required" in mail.outbox[0].subject


def test_r19_customer_is_emailed_when_the_order_completes(held_order, manager_max, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=held_order.manual_operation.pk)
    customer_mails = [m for m in mail.outbox if "alice@alice.example" in m.to]
    assert len(customer_mails) == 1
    assert "complete" in customer_mails[0].subject
