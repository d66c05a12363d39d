from django.db import IntegrityError, transaction

from accounts.errors import PostpayUnderReview
from accounts.models import Account
from accounts.services import account_grant_postpay, account_refuse_postpay
from audit.models import ObjectType
from audit.services import audit_record, audited_transition
from postpay_portal.errors import InvalidInput, NotFound, PermissionDenied
from subscriptions.models import Order
from subscriptions.services import order_fail_by_decline, order_release_after_approval

from .errors import OperationAlreadyDecided
from .groups import can_decide
from .models import DeclineReason, ManualOperation, OperationStatus


def manual_operation_open(*, actor, account, order):
    """R9, R12: the one open operation of an account, linked to its held order.

    The caller holds the account's lock; the partial unique constraint backs it under any
    concurrency: a second open operation is refused as ``postpay_under_review``.
    """
    try:
        with transaction.atomic():
            operation = ManualOperation.objects.create(
                account=account,
                order=order,
                description=f"{account.name}: postpaid order #{order.pk} for {order.plan.name}",
            )
    except IntegrityError:
        raise PostpayUnderReview()
    audit_record(object_type=ObjectType.MANUAL_OPERATION, object_id=operation.pk, field="status",
                 old=None, new=operation.status, actor=actor, reason=f"held order #{order.pk}", obj=operation)
    operation_id = operation.pk
    transaction.on_commit(lambda: _notify_managers(operation_id), robust=True)
    return operation


def _notify_managers(operation_id):
    from .tasks import notify_managers_task

    notify_managers_task.apply_async((operation_id,), retry=False)


def _lock_undecided(actor, operation_id):
    """Lock account → operation (STYLE §2 order); refuse a non-manager or a decided one."""
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may decide manual operations.")
    if isinstance(operation_id, bool) or not isinstance(operation_id, int):
        raise InvalidInput.on("operation", "A valid integer id is required.")
    account_id = ManualOperation.objects.filter(pk=operation_id).values_list("account_id", flat=True).first()
    if account_id is None:
        raise NotFound("No such manual operation.")
    account = Account.objects.select_for_update().get(pk=account_id)
    operation = ManualOperation.objects.select_for_update().get(pk=operation_id)
    if operation.status != OperationStatus.APPROVAL_REQUIRED:
        operation = ManualOperation.objects.select_related("decided_by").get(pk=operation_id)
        raise OperationAlreadyDecided(operation)  # R14
    order = Order.objects.select_for_update().get(pk=operation.order_id)
    return account, operation, order


def manual_operation_approve(*, actor, operation_id, note=""):
    """R14, R15: approve once; the account is approved, the held order provisions after
    commit."""
    with transaction.atomic():
        account, operation, order = _lock_undecided(actor, operation_id)
        audited_transition(operation, "approve", object_type=ObjectType.MANUAL_OPERATION, field="status",
                           actor=actor, reason=note, by=actor, note=note)
        account_grant_postpay(actor=actor, account=account, reason=f"manual operation #{operation.pk} approved")
        order_release_after_approval(actor=actor, order=order)
    return operation


def manual_operation_decline(*, actor, operation_id, reason, note=""):
    """R14, R16: decline once with a structured internal reason; the held order fails with
    ``postpay_declined``; nothing is sent to the customer."""
    if reason not in DeclineReason.values:
        if can_decide(actor):
            raise InvalidInput.on("reason", f"Choose one of: {', '.join(DeclineReason.values)}.")
        raise PermissionDenied("Only a manager may decide manual operations.")
    with transaction.atomic():
        account, operation, order = _lock_undecided(actor, operation_id)
        audited_transition(operation, "decline", object_type=ObjectType.MANUAL_OPERATION, field="status",
                           actor=actor, reason=reason, by=actor, reason_code=reason, note=note)
        account_refuse_postpay(actor=actor, account=account, reason=f"manual operation #{operation.pk} declined")
        order_fail_by_decline(actor=actor, order=order)
    return operation
