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
from tests.core.helpers import place

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


def test_r3_impact_counts_accounts_per_status_and_held_orders(manual_mode, customer_alice, postpaid_plan, outsider_oscar):
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
    log = [(e.object_type, e.field, e.from_value, e.to_value, e.actor_label)
           for e in AuditLogEntry.objects.exclude(object_type="postpay_settings").order_by("id")]
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
    call_command("postpay_override", str(alice_account.pk), "--to", "declined", "--reason", "ticket 42",
                 "--actor", "max")
    call_command("postpay_override", str(alice_account.pk), "--to", "approved", "--reason", "ticket 43")
    assert Account.objects.get(pk=alice_account.pk).postpay_permission == PostpayPermission.APPROVED
    entries = list(audit_log_list(object_type="account", object_id=alice_account.pk).order_by("id"))[1:]
    assert [(e.from_value, e.to_value, e.actor_label) for e in entries] == [
        ("none", "declined", "max"), ("declined", "approved", "system")]
    assert all("ticket" in e.reason for e in entries)


def test_r7_override_of_an_unknown_account_fails_cleanly():
    with pytest.raises(CommandError, match="not_found"):
        call_command("postpay_override", "999999", "--to", "approved", "--reason", "x")
