"""R7: the support override (``postpay_override``) needs a reason, is audited, and leaves no
operation nobody could decide."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from audit.selectors import audit_log_list
from manual_operations.services import manual_operation_approve
from tests.support.actions import place

pytestmark = pytest.mark.django_db


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
