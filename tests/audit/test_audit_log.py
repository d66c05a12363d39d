"""R29: the append-only audit log names who changed what: the manager deciding, the worker as
system, every order action with its actor."""

import pytest

from audit.models import AuditLogEntry
from audit.selectors import audit_log_list
from manual_operations.services import manual_operation_approve
from settings_app.services import postpay_settings_update
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def test_r29_a_decision_is_logged_with_the_manager_and_the_worker_as_system(
    manual_mode, customer_alice, postpaid_plan, manager_max, django_capture_on_commit_callbacks
):
    order = place(customer_alice, postpaid_plan)
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    log = [
        (e.object_type, e.field, e.from_value, e.to_value, e.actor_label)
        for e in AuditLogEntry.objects.exclude(object_type="postpay_settings").order_by("id")
    ]
    assert log == [
        ("account", "postpay_permission", None, "none", "system"),
        ("order", "status", None, "waiting_for_approval", "alice"),
        ("account", "postpay_permission", "none", "under_review", "alice"),
        ("manual_operation", "status", None, "approval_required", "alice"),
        ("manual_operation", "status", "approval_required", "approved", "max"),
        ("account", "postpay_permission", "under_review", "approved", "max"),
        ("order", "status", "waiting_for_approval", "provisioning", "max"),
        ("order", "status", "provisioning", "completed", "system"),
    ]


def test_r29_the_audit_log_is_append_only(manager_max):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    entry = AuditLogEntry.objects.get()
    entry.to_value = "automatic"
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    assert AuditLogEntry.objects.get().to_value == "manual"


def test_r29_a_decline_audits_operation_account_and_order_with_the_manager_as_actor(
    manual_mode, customer_alice, postpaid_plan, manager_max
):
    from manual_operations.services import manual_operation_decline

    held = place(customer_alice, postpaid_plan)
    operation = held.manual_operation
    manual_operation_decline(actor=manager_max, operation_id=operation.pk, reason="credit_risk", note="n")
    decided = {
        (e.object_type, e.object_id, e.from_value, e.to_value, e.actor_id)
        for e in AuditLogEntry.objects.filter(actor=manager_max)
    }
    assert decided == {
        ("manual_operation", operation.pk, "approval_required", "declined", manager_max.pk),
        ("account", customer_alice.account_id, "under_review", "declined", manager_max.pk),
        ("order", held.pk, "waiting_for_approval", "provisioning_failed", manager_max.pk),
    }


def test_r29_every_order_action_is_audited_with_its_actor(customer_alice, staff_sam, prepaid_plan, postpaid_plan):
    from subscriptions.services import order_cancel, order_fail_provisioning, order_pay, order_retry_provisioning

    def entries(order):
        return [
            (e.from_value, e.to_value, e.actor_label)
            for e in audit_log_list(object_type="order", object_id=order.pk).order_by("id")
        ]

    paid = place(customer_alice, prepaid_plan)
    order_pay(actor=staff_sam, order_id=paid.pk)
    assert entries(paid)[-1] == ("waiting_for_payment", "provisioning", "sam")
    cancelled = place(customer_alice, prepaid_plan)
    order_cancel(actor=customer_alice, order_id=cancelled.pk)
    assert entries(cancelled)[-1] == ("waiting_for_payment", "cancelled", "alice")
    retried = place(customer_alice, postpaid_plan)
    order_fail_provisioning(order_id=retried.pk, error="platform unavailable")
    order_retry_provisioning(actor=staff_sam, order_id=retried.pk)
    assert entries(retried)[-2:] == [
        ("provisioning", "provisioning_failed", "system"),
        ("provisioning_failed", "provisioning", "sam"),
    ]
