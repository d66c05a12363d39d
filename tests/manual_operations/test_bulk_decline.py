"""R14, R16, R18: a bulk decline decides each operation on its own, in the service."""

import pytest

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import manual_operation_approve, manual_operation_decline_many
from subscriptions.models import Order, OrderStatus
from tests.support.actions import held_for_new_account

pytestmark = pytest.mark.django_db


def _held(plan, n):
    return [held_for_new_account(plan, f"Held {i}", username=f"held{i}").manual_operation for i in range(n)]


def test_r18_a_bulk_decline_whose_first_item_is_refused_still_decides_the_later_ones(
    manual_mode, postpaid_plan, manager_max
):
    decided, second, third = _held(postpaid_plan, 3)
    manual_operation_approve(actor=manager_max, operation_id=decided.pk)

    done, refused = manual_operation_decline_many(
        actor=manager_max, operation_ids=[decided.pk, second.pk, third.pk], reason="credit_risk"
    )

    assert [(pk, error.code) for pk, error in refused] == [(decided.pk, "operation_already_decided")]
    assert [operation.pk for operation in done] == [second.pk, third.pk]
    assert ManualOperation.objects.get(pk=decided.pk).status == OperationStatus.APPROVED  # R14: it stands
    for operation in (second, third):
        assert ManualOperation.objects.get(pk=operation.pk).status == OperationStatus.DECLINED
        assert Account.objects.get(pk=operation.account_id).postpay_permission == PostpayPermission.DECLINED
        assert Order.objects.get(pk=operation.order_id).status == OrderStatus.PROVISIONING_FAILED


def test_r16_a_bulk_decline_needs_a_reason_and_a_manager(manual_mode, postpaid_plan, manager_max, staff_sam):
    from postpay_portal.errors import InvalidInput, PermissionDenied

    [operation] = _held(postpaid_plan, 1)
    with pytest.raises(InvalidInput):
        manual_operation_decline_many(actor=manager_max, operation_ids=[operation.pk], reason="")
    with pytest.raises(PermissionDenied):
        manual_operation_decline_many(actor=staff_sam, operation_ids=[operation.pk], reason="other")
    assert ManualOperation.objects.get(pk=operation.pk).is_open
