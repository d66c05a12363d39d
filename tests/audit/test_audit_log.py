"""R1–R4, R7, R29: settings, support override and the append-only audit log."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from audit.selectors import audit_log_list
from manual_operations.services import manual_operation_approve
from settings_app.models import PostpaySettings
from settings_app.selectors import postpay_mode_impact, postpay_settings_get
from settings_app.services import postpay_settings_update
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def test_r1_r2_defaults_are_automatic_and_trials_not_gated():
    row = postpay_settings_get()
    assert (row.postpaid_permission_mode, row.trial_requires_approval) == ("automatic", False)
    assert PostpaySettings._meta.get_field("postpaid_permission_mode").verbose_name == (
        "Allow an account to order a postpaid subscription"
    )


def test_r1_settings_are_a_single_row():
    from django.db import IntegrityError, transaction

    postpay_settings_get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PostpaySettings.objects.create(pk=2)


def test_r3_every_settings_change_is_recorded(manager_max):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    postpay_settings_update(actor=manager_max, trial_requires_approval=True)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")  # no change, no entry
    entries = list(audit_log_list(object_type="postpay_settings").order_by("id"))
    assert [(e.field, e.from_value, e.to_value, e.actor) for e in entries] == [
        ("postpaid_permission_mode", "automatic", "manual", manager_max),
        ("trial_requires_approval", "false", "true", manager_max),
    ]


def test_r3_settings_refuse_bad_values_and_non_operators(manager_max, customer_alice):
    with pytest.raises(Exception) as exc:
        postpay_settings_update(actor=manager_max, postpaid_permission_mode="sometimes")
    assert exc.value.code == "invalid"
    with pytest.raises(Exception) as exc:
        postpay_settings_update(actor=customer_alice, postpaid_permission_mode="manual")
    assert exc.value.code == "permission_denied"
    assert postpay_settings_get().postpaid_permission_mode == "automatic"
    assert not AuditLogEntry.objects.filter(object_type="postpay_settings").exists()


def test_r3_impact_counts_accounts_per_status_and_held_orders(
    manual_mode, customer_alice, postpaid_plan, outsider_oscar
):
    place(customer_alice, postpaid_plan)
    impact = postpay_mode_impact()
    assert impact["accounts_by_status"] == {"none": 1, "under_review": 1, "approved": 0, "declined": 0}
    assert impact["held_orders"] == 1


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


def test_r7_support_override_needs_a_reason_and_is_audited(alice_account, manager_max):
    with pytest.raises(CommandError):
        call_command("postpay_override", str(alice_account.pk), "--to", "approved", "--reason", "  ")
    assert Account.objects.get(pk=alice_account.pk).postpay_permission == PostpayPermission.NONE
    call_command(
        "postpay_override", str(alice_account.pk), "--to", "declined", "--reason", "ticket 42", "--actor", "max"
    )
    call_command("postpay_override", str(alice_account.pk), "--to", "approved", "--reason", "ticket 43")
    assert Account.objects.get(pk=alice_account.pk).postpay_permission == PostpayPermission.APPROVED
    entries = list(audit_log_list(object_type="account", object_id=alice_account.pk).order_by("id"))[1:]
    assert [(e.from_value, e.to_value, e.actor_label) for e in entries] == [
        ("none", "declined", "max"),
        ("declined", "approved", "system"),
    ]
    assert all("ticket" in e.reason for e in entries)


def test_r7_override_of_an_unknown_account_fails_cleanly():
    with pytest.raises(CommandError, match="not_found"):
        call_command("postpay_override", "999999", "--to", "approved", "--reason", "x")


def test_r7_override_is_refused_while_an_operation_is_open_and_changes_nothing(
    manual_mode, customer_alice, postpaid_plan, manager_max
):
    """Finding 2: changing only the account left an operation nobody could decide (500) and,
    with ``--to none``, an account that could never be reviewed again."""
    held = place(customer_alice, postpaid_plan)
    operation = held.manual_operation
    for to in ("approved", "declined", "none"):
        before = AuditLogEntry.objects.count()
        with pytest.raises(CommandError, match=f"postpay_under_review: .*manual operation #{operation.pk} is open"):
            call_command("postpay_override", str(customer_alice.account_id), "--to", to, "--reason", "ticket 7")
        assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.UNDER_REVIEW
        assert AuditLogEntry.objects.count() == before
    manual_operation_approve(actor=manager_max, operation_id=operation.pk)  # still decidable
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.APPROVED


def test_r7_after_an_override_to_none_the_account_is_reviewed_again(
    manual_mode, customer_alice, postpaid_plan, manager_max
):
    from manual_operations.services import manual_operation_decline

    first = place(customer_alice, postpaid_plan)
    manual_operation_decline(actor=manager_max, operation_id=first.manual_operation.pk, reason="other")
    call_command("postpay_override", str(customer_alice.account_id), "--to", "none", "--reason", "ticket 8")
    again = place(customer_alice, postpaid_plan)
    assert again.status == "waiting_for_approval" and again.manual_operation.is_open
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.UNDER_REVIEW


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
