import structlog
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils.text import Truncator

from accounts.errors import PostpayDeclined, PostpayReviewNotNeeded, PostpayUnderReview
from accounts.models import Account, PostpayPermission
from accounts.services import (
    account_approve_postpay_in_advance,
    account_grant_postpay,
    account_refuse_postpay,
    account_request_postpay_review,
)
from accounts.visibility import refusal_for
from audit.models import ObjectType
from audit.services import audit_record, audited_transition, change_batch
from postpay_portal.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from settings_app.selectors import postpay_settings_get
from subscriptions.models import Order
from subscriptions.services import order_fail_by_decline, order_release_after_approval
from subscriptions.services.common import as_id, require_user

from .errors import OperationAlreadyDecided
from .groups import can_decide
from .models import DeclineReason, ManualOperation, OperationOrigin, OperationStatus

logger = structlog.get_logger(__name__)


def manual_operation_open(*, actor, account, order=None, origin=OperationOrigin.HELD_ORDER, notify=True):
    """R9, R12, R36: the one open operation of an account, linked to its held order (none
    for a review asked or approved in advance).

    The caller holds the account's lock; the partial unique constraint backs it under any
    concurrency: a second open operation is refused as ``postpay_under_review``.
    """
    operation = _new_operation(actor, account, order, origin)
    try:
        with transaction.atomic():
            operation.save(force_insert=True)
    except IntegrityError:
        raise PostpayUnderReview()
    _record_opened(actor, account, operation, notify=notify)
    return operation


def _in_advance(actor, origin):
    """What a review without an order is: "postpaid ordering asked in advance by alice"."""
    who = actor.get_username() if actor is not None else "system"
    return f"postpaid ordering {OperationOrigin(origin).label.lower()} by {who}"


def _new_operation(actor, account, order, origin):
    what = f"postpaid order #{order.pk} for {order.plan.name}" if order is not None else _in_advance(actor, origin)
    return ManualOperation(
        account=account,
        order=order,
        origin=origin,
        requested_by=_user_or_none(actor),
        description=describe(account, what),
    )


def _record_opened(actor, account, operation, *, notify):
    """R29, R34, R19: the opening's audit entry and event, and the managers' e-mail."""
    if operation.order_id is not None:
        why = f"held order #{operation.order_id}"
    else:
        why = _in_advance(actor, operation.origin)
    audit_record(
        object_type=ObjectType.MANUAL_OPERATION,
        object_id=operation.pk,
        field="status",
        old=None,
        new=operation.status,
        actor=actor,
        reason=why,
        obj=operation,
    )
    operation_id = operation.pk
    logger.info(
        "manual_operation_opened",
        operation_id=operation_id,
        order_id=operation.order_id,
        account_id=account.pk,
        origin=operation.origin,
    )
    if notify:
        transaction.on_commit(lambda: _notify_managers(operation_id), robust=True)


def _user_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def manual_operation_ask_in_advance(*, actor, account_id):
    """R36a: a customer of a ``none`` account asks for postpaid ordering before any order,
    in mode Manually: the account goes under review and one operation opens with no order
    (R9's effects without the held order; R12 holds).

    Under review or declined: ``postpay_under_review`` (a decline reads as under review,
    R6); approved, or mode Automatically: ``postpay_review_not_needed``.
    """
    require_user(actor)
    account_id = as_id(account_id, "account")
    if getattr(actor, "is_staff", False) or getattr(actor, "account_id", None) != account_id:
        raise PermissionDenied("Only a customer of the account may ask for its review.")
    with transaction.atomic():
        account = _locked_accounts().get(pk=account_id)
        if account.postpay_permission in (PostpayPermission.UNDER_REVIEW, PostpayPermission.DECLINED):
            raise refusal_for(actor, account.postpay_permission)
        if account.postpay_permission == PostpayPermission.APPROVED or not postpay_settings_get().is_manual:
            raise PostpayReviewNotNeeded()
        account_request_postpay_review(actor=actor, account=account, reason="postpaid ordering asked in advance")
        manual_operation_open(actor=actor, account=account, origin=OperationOrigin.ASKED_IN_ADVANCE)
    return account


def manual_operation_approve_in_advance(*, actor, account_id, note=""):
    """R36b: a manager approves a ``none`` account before any order: one operation opened
    and approved at once (no order), the account approved, all audited (R29), in one
    transaction. Any mode: it is how a reseller prepares the switch to Manually.

    Under review: ``postpay_under_review`` (decide its operation instead); declined:
    ``postpay_declined``; approved already: ``postpay_review_not_needed``.
    """
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may approve postpaid ordering in advance.")
    account_id = as_id(account_id, "account")
    done, refused = manual_operations_approve_in_advance(actor=actor, account_ids=[account_id], note=note)
    if refused:
        raise refused[0][1]
    return done[0]


def manual_operations_approve_in_advance(*, actor, account_ids, note=""):
    """R36b for many accounts (the accounts list's bulk action): each account as
    ``manual_operation_approve_in_advance`` decides it, in one transaction per chunk of
    accounts locked in id order, written in bulk (``audit.services.change_batch``).

    Returns the accounts approved and ``(id, refusal)`` of the others, in the given order;
    a refused account changes nothing (R18: the rest go on).
    """
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may approve postpaid ordering in advance.")
    done, refused = [], []
    for chunk in _chunks(account_ids):
        with transaction.atomic(), change_batch():
            accounts = {account.pk: account for account in _locked_accounts().filter(pk__in=chunk).order_by("pk")}
            ready = []
            for pk in chunk:
                try:
                    ready.append(_ready_for_approval_in_advance(accounts.get(pk)))
                except DomainError as error:
                    refused.append((pk, error))
            operations = _open_many(actor, ready, origin=OperationOrigin.APPROVED_IN_ADVANCE)
            for account, operation in zip(ready, operations, strict=True):
                if isinstance(operation, DomainError):
                    refused.append((account.pk, operation))
                    continue
                audited_transition(
                    operation,
                    "approve",
                    object_type=ObjectType.MANUAL_OPERATION,
                    field="status",
                    actor=actor,
                    reason=note or "approved in advance",
                    by=actor,
                    note=note,
                )
                account_approve_postpay_in_advance(
                    actor=actor, account=account, reason=f"manual operation #{operation.pk} approved in advance"
                )
                done.append(account)
    order = {pk: index for index, pk in enumerate(account_ids)}
    done.sort(key=lambda account: order[account.pk])
    refused.sort(key=lambda item: order[item[0]])
    return done, refused


def _ready_for_approval_in_advance(account):
    """R36b's refusals, before anything changes."""
    if account is None:
        raise NotFound("No such account.")
    if account.postpay_permission == PostpayPermission.UNDER_REVIEW:
        raise PostpayUnderReview("The account is under review: decide its open manual operation instead.")
    if account.postpay_permission == PostpayPermission.DECLINED:
        raise PostpayDeclined()
    if account.postpay_permission == PostpayPermission.APPROVED:
        raise PostpayReviewNotNeeded("The account is already approved for postpaid ordering.")
    return account


def _open_many(actor, accounts, *, origin):
    """``manual_operation_open`` for many locked accounts with no order: one INSERT, or, if
    R12's constraint refuses it (an operation opened underneath), one by one so that only
    the account concerned is refused. Returns an operation or the refusal, per account."""
    if not accounts:
        return []
    operations = [_new_operation(actor, account, None, origin) for account in accounts]
    try:
        with transaction.atomic():
            ManualOperation.objects.bulk_create(operations)
    except IntegrityError:
        operations = []
        for account in accounts:
            try:
                operations.append(manual_operation_open(actor=actor, account=account, origin=origin, notify=False))
            except PostpayUnderReview as error:
                operations.append(error)
        return operations
    for account, operation in zip(accounts, operations, strict=True):
        _record_opened(actor, account, operation, notify=False)
    return operations


BULK_CHUNK = 250


def _chunks(ids):
    """The ids, once each, in slices of ``BULK_CHUNK``: one transaction a slice."""
    ids = list(dict.fromkeys(ids))
    return [ids[start : start + BULK_CHUNK] for start in range(0, len(ids), BULK_CHUNK)]


def describe(account, what):
    """The operation's Description: "<account>: <what happened>", within its column (300
    characters) whatever the length of the (valid) names in it."""
    limit = ManualOperation._meta.get_field("description").max_length
    name = account.name if len(account.name) <= 100 else Truncator(account.name).chars(100)
    text = f"{name}: {what}"
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _notify_managers(operation_id):
    from .tasks import notify_managers_task

    notify_managers_task.apply_async((operation_id,), retry=False)


def _locked_accounts():
    """Accounts locked for a decision, with the class and manager their events show (R34)
    read in the same statement: only the account's row is locked."""
    return Account.objects.select_for_update(of=("self",)).select_related("account_class", "manager")


def _locked_operations():
    """Operations locked for a decision, with who decided them for R14's refusal."""
    return ManualOperation.objects.select_for_update(of=("self",)).select_related("decided_by")


def _locked_orders():
    return Order.objects.select_for_update(of=("self",)).select_related("created_by")


def _require_undecided(operation):
    if operation.status != OperationStatus.APPROVAL_REQUIRED:
        raise OperationAlreadyDecided(operation)  # R14


def _lock_undecided(actor, operation_id):
    """Lock account → operation (STYLE §2 order); refuse a non-manager or a decided one."""
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may decide manual operations.")
    operation_id = as_id(operation_id, "operation", unknown=NotFound("No such manual operation."))
    # The operation's account, locked first, in one statement: the sub-select reads the
    # operation without locking it (FOR UPDATE locks the outer query's rows only).
    operation_account = ManualOperation.objects.filter(pk=operation_id).values("account_id")
    account = _locked_accounts().filter(pk=Subquery(operation_account)).first()
    if account is None:
        raise NotFound("No such manual operation.")
    operation = _locked_operations().get(pk=operation_id)
    operation.account = account  # the row just locked: its event reads the manager from it
    _require_undecided(operation)
    order = None
    if operation.order_id is not None:  # R36: a review asked in advance holds no order
        order = _locked_orders().get(pk=operation.order_id)
    return account, operation, order


def manual_operation_approve(*, actor, operation_id, note=""):
    """R14, R15: approve once; the account is approved, the held order provisions after
    commit."""
    with transaction.atomic():
        account, operation, order = _lock_undecided(actor, operation_id)
        _approve(actor, account, operation, order, note)
    return operation


def manual_operations_approve(*, actor, operation_ids, note=""):
    """R14, R15, R18 for many operations (the queue's bulk action): each operation as
    ``manual_operation_approve`` decides it, in one transaction per chunk whose rows are
    locked in the order of STYLE §2 (accounts, then operations, then orders, each by id),
    written in bulk (``audit.services.change_batch``).

    Returns the operations approved and ``(id, refusal)`` of the others (R14: decided
    already; no such operation), in the given order.
    """
    if not can_decide(actor):
        raise PermissionDenied("Only a manager may decide manual operations.")
    done, refused = [], []
    for chunk in _chunks(operation_ids):
        with transaction.atomic(), change_batch() as batch:
            of_chunk = ManualOperation.objects.filter(pk__in=chunk)
            accounts = {
                account.pk: account
                for account in _locked_accounts().filter(pk__in=of_chunk.values("account_id")).order_by("pk")
            }
            operations = {
                operation.pk: operation for operation in _locked_operations().filter(pk__in=chunk).order_by("pk")
            }
            held = sorted(
                operation.order_id
                for operation in operations.values()
                if operation.order_id is not None and operation.is_open
            )
            orders = {order.pk: order for order in _locked_orders().filter(pk__in=held).order_by("pk")} if held else {}
            for pk in chunk:
                operation = operations.get(pk)
                mark = batch.mark()
                try:
                    if operation is None:
                        raise NotFound("No such manual operation.")
                    operation.account = accounts[operation.account_id]
                    _require_undecided(operation)
                    _approve(actor, operation.account, operation, orders.get(operation.order_id), note)
                except DomainError as error:
                    batch.rollback(mark)
                    refused.append((pk, error))
                else:
                    done.append(operation)
    return done, refused


def _approve(actor, account, operation, order, note):
    """R15 on locked rows, the operation undecided."""
    audited_transition(
        operation,
        "approve",
        object_type=ObjectType.MANUAL_OPERATION,
        field="status",
        actor=actor,
        reason=note,
        by=actor,
        note=note,
    )
    if account.postpay_permission == PostpayPermission.UNDER_REVIEW:  # else support set it (R7)
        account_grant_postpay(actor=actor, account=account, reason=f"manual operation #{operation.pk} approved")
    if order is not None:
        order_release_after_approval(actor=actor, order=order)
    logger.info(
        "manual_operation_approved", operation_id=operation.pk, order_id=operation.order_id, account_id=account.pk
    )


def manual_operation_decline(*, actor, operation_id, reason, note=""):
    """R14, R16: decline once with a structured internal reason; the held order fails with
    ``postpay_declined``; nothing is sent to the customer."""
    if reason not in DeclineReason.values:
        if can_decide(actor):
            raise InvalidInput.on("reason", f"Choose one of: {', '.join(DeclineReason.values)}.")
        raise PermissionDenied("Only a manager may decide manual operations.")
    with transaction.atomic():
        account, operation, order = _lock_undecided(actor, operation_id)
        audited_transition(
            operation,
            "decline",
            object_type=ObjectType.MANUAL_OPERATION,
            field="status",
            actor=actor,
            reason=reason,
            by=actor,
            reason_code=reason,
            note=note,
        )
        if account.postpay_permission == PostpayPermission.UNDER_REVIEW:  # else support set it (R7)
            account_refuse_postpay(actor=actor, account=account, reason=f"manual operation #{operation.pk} declined")
        if order is not None:
            order_fail_by_decline(actor=actor, order=order)
        logger.info(
            "manual_operation_declined",
            operation_id=operation.pk,
            order_id=operation.order_id,
            account_id=account.pk,
            reason=reason,
        )
    return operation
