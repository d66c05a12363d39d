"""R19: managers are mailed when an operation is created; the customer when the order
completes; nothing is mailed to the customer on a decline (R16)."""

import pytest
from django.core import mail

from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_approve, manual_operation_decline
from subscriptions.services import order_place


@pytest.fixture
def held(manual_mode, customer_alice, postpaid_plan_no_trial, manager_max, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(actor=customer_alice, account_id=customer_alice.account_id,
                            plan_id=postpaid_plan_no_trial.pk, period="commercial")
    return ManualOperation.objects.get(order=order)


@pytest.mark.django_db
def test_r19_managers_are_mailed_when_an_operation_is_created(held, manager_max):
    [message] = mail.outbox
    assert manager_max.email in message.to
    assert "alice@alice.example" not in message.to and "billing@alice.example" not in message.to
    assert "Approval required" in message.subject
    assert f"/admin/manual_operations/manualoperation/{held.pk}/change/" in message.body


@pytest.mark.django_db
def test_r19_customer_is_mailed_when_the_approved_order_completes(held, manager_max, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=held.pk)
    [message] = mail.outbox
    assert set(message.to) == {"alice@alice.example", "billing@alice.example"}
    assert "complete" in message.subject


@pytest.mark.django_db
def test_r16_r19_nothing_is_mailed_to_the_customer_on_a_decline(held, manager_max, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_decline(actor=manager_max, operation_id=held.pk, reason="credit_risk", note="secret")
    assert mail.outbox == []
