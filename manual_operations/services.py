"""The only write path of manual operations (R9, R12, R14–R18, R36).

A decision is one function per item on rows the caller locked (``_approve``, ``_decline``,
``_approve_in_advance``); the bulk services lock a chunk of rows in STYLE §2's order and call
it for each item inside ``uow.item()``, so that a refused item changes nothing and the rest
go on (R18). A single decision is a bulk of one.
"""

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

import structlog
from django.db import IntegrityError, transaction
from django.utils.text import Truncator

from accounts.errors import PostpayDeclined, PostpayReviewNotNeeded, PostpayUnderReview
from accounts.lock_objects import account_qs_select_for_update, locked_account
from accounts.models import Account, PostpayPermission
from accounts.services import (
    UNSET,
    Unset,
    account_approve_postpay_in_advance,
    account_grant_postpay,
    account_refuse_postpay,
    account_request_postpay_review,
    account_terms_apply,
    clean_terms,
)
from accounts.visibility import refusal_for
from audit.models import ObjectType
from audit.services import audit_record, audited_transition
from audit.unit_of_work import UnitOfWork, unit_of_work
from postpay_portal.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from postpay_portal.guards import as_id, require_user
from postpay_portal.ids import is_id
from settings_app.selectors import postpay_settings_get
from subscriptions.credit import CreditCheck
from subscriptions.errors import CreditReviewOpen
from subscriptions.lock_objects import order_qs_select_for_update
from subscriptions.models import Order, OrderStatus
from subscriptions.selectors import account_commitment, accounts_with_commitment
from subscriptions.services import order_fail_by_credit_review, order_fail_by_decline, order_release_after_approval

from .errors import OperationAlreadyDecided
from .groups import can_decide
from .lock_objects import manual_operation_qs_select_for_update
from .models import DeclineReason, HoldReason, ManualOperation, OperationOrigin, OperationStatus, OperationType

logger = structlog.get_logger(__name__)

BULK_CHUNK = 250  # rows locked and decided in one transaction (decision 103)
MANAGERS_ONLY = "Only a manager may decide manual operations."


def _require_manager(actor, detail: str = MANAGERS_ONLY) -> None:
    """R14, R44: a decision needs a staff login with the decide permission; the system never
    decides on its own (R17: an operation is never decided automatically)."""
    if not can_decide(actor):
        raise PermissionDenied(detail)


# --- opening ---------------------------------------------------------------------------------


def manual_operation_open(
    *,
    uow: UnitOfWork,
    actor,
    account: Account,
    order: Order | None = None,
    origin: str = OperationOrigin.HELD_ORDER,
    notify: bool = True,
    credit_check: CreditCheck | None = None,
) -> ManualOperation:
    """R9, R12, R36: the one open operation of an account, linked to its held order (none
    for a review asked or approved in advance); with ``credit_check``, a credit review of the
    held order instead (R39), with its hold reasons and snapshot.

    The caller holds the account's lock; the partial unique constraint backs it under any
    concurrency (R40: of any type): a second open operation is refused as
    ``postpay_under_review``, or ``credit_review_open`` for a credit review.
    """
    what = f"postpaid order #{order.pk} for {order.plan.name}" if order is not None else _in_advance(actor, origin)
    operation = ManualOperation(
        account=account,
        order=order,
        origin=origin,
        requested_by=_user_or_none(actor),
        description=describe(account, what),
    )
    if credit_check is not None:
        reasons = ", ".join(HoldReason(reason).label.lower() for reason in credit_check.reasons)
        operation.operation = OperationType.CREDIT_REVIEW
        operation.description = describe(account, f"{what}: {reasons}")
        operation.hold_reasons = list(credit_check.reasons)
        operation.credit_snapshot = credit_check.snapshot(account)
    try:
        with transaction.atomic():
            operation.save(force_insert=True)
    except IntegrityError:
        raise CreditReviewOpen() if credit_check is not None else PostpayUnderReview()
    why = f"held order #{order.pk}" if order is not None else _in_advance(actor, origin)
    audit_record(
        uow=uow,
        object_type=ObjectType.MANUAL_OPERATION,
        object_id=operation.pk,
        field="status",
        old=None,
        new=operation.status,
        actor=actor,
        reason=why,
        obj=operation,
    )
    logger.info(
        "manual_operation_opened",
        operation_id=operation.pk,
        order_id=operation.order_id,
        account_id=account.pk,
        origin=operation.origin,
    )
    if notify:
        uow.after_commit(_notify_managers, [operation.pk])  # R19
    return operation


def manual_operation_open_credit_review(
    *, uow: UnitOfWork, actor, account: Account, order: Order, check: CreditCheck
) -> ManualOperation:
    """R39: the order of an approved account that breaks its credit terms waits for a credit
    review; the account stays approved. Managers are told as of any operation (R19); the
    customer is told their order waits for their provider's review."""
    operation = manual_operation_open(uow=uow, actor=actor, account=account, order=order, credit_check=check)
    uow.after_commit(_notify_customer_held, [order.pk])
    return operation


def _notify_customer_held(order_ids: list[int]) -> None:
    from subscriptions.tasks import notify_customer_order_held_task

    for order_id in order_ids:
        notify_customer_order_held_task.apply_async((order_id,), retry=False)


def _in_advance(actor, origin) -> str:
    """What a review without an order is: "postpaid ordering asked in advance by alice"."""
    who = actor.get_username() if actor is not None else "system"
    return f"postpaid ordering {OperationOrigin(origin).label.lower()} by {who}"


def _user_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def describe(account: Account, what: str) -> str:
    """The operation's Description: "<account>: <what happened>", within its column (300
    characters) whatever the length of the (valid) names in it."""
    limit = ManualOperation._meta.get_field("description").max_length
    name = account.name if len(account.name) <= 100 else Truncator(account.name).chars(100)
    text = f"{name}: {what}"
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _notify_managers(operation_ids: list[int]) -> None:
    from .tasks import notify_managers_task

    for operation_id in operation_ids:
        notify_managers_task.apply_async((operation_id,), retry=False)


def manual_operation_ask_in_advance(*, actor, account_id: int) -> Account:
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
    with transaction.atomic(), unit_of_work() as uow:
        account = locked_account(account_id)
        if account.postpay_permission in (PostpayPermission.UNDER_REVIEW, PostpayPermission.DECLINED):
            raise refusal_for(actor, account.postpay_permission)
        if account.postpay_permission == PostpayPermission.APPROVED or not postpay_settings_get().is_manual:
            raise PostpayReviewNotNeeded()
        account_request_postpay_review(
            uow=uow, actor=actor, account=account, reason="postpaid ordering asked in advance"
        )
        manual_operation_open(uow=uow, actor=actor, account=account, origin=OperationOrigin.ASKED_IN_ADVANCE)
    return account


# --- bulk: one function per item on locked rows ---------------------------------------------


def _chunks(ids: Iterable) -> list[list]:
    """The ids, once each, in slices of ``BULK_CHUNK``: one transaction a slice."""
    ids = list(dict.fromkeys(ids))
    return [ids[start : start + BULK_CHUNK] for start in range(0, len(ids), BULK_CHUNK)]


def _each(ids: Iterable, lock: Callable, decide: Callable) -> tuple[list, list]:
    """For each chunk, one transaction: ``lock(chunk)`` the rows (a dict by id), then
    ``decide(uow, row or None)`` each item on its own. Returns what was decided and
    ``(id, refusal)`` of the rest, in the given order (R18)."""
    done, refused = [], []
    for chunk in _chunks(ids):
        with transaction.atomic(), unit_of_work() as uow:
            rows = lock([pk for pk in chunk if is_id(pk)])  # an id nobody can have is not looked up
            for pk in chunk:
                try:
                    with uow.item():
                        done.append(decide(uow, rows.get(pk)))
                except DomainError as error:
                    refused.append((pk, error))
    return done, refused


def _valid_ids(ids: Iterable, field: str) -> list:
    """Integers only, or the whole request is invalid; an id nobody can have stays, to be
    refused on its own as missing (R18, R31)."""
    valid = []
    for pk in ids:
        try:
            valid.append(as_id(pk, field))
        except NotFound:
            valid.append(pk)
    return valid


def _lock_operations(operation_ids: list[int]) -> dict[int, ManualOperation]:
    """Lock accounts, then operations, then their held orders (STYLE §2), each by id."""
    of_chunk = ManualOperation.objects.filter(pk__in=operation_ids)
    accounts = _lock_accounts(of_chunk.values("account_id"))
    operations = {
        operation.pk: operation
        for operation in manual_operation_qs_select_for_update()
        .select_related("decided_by")  # R14: who decided it already
        .filter(pk__in=operation_ids)
        .order_by("pk")
    }
    held = sorted(op.order_id for op in operations.values() if op.order_id is not None and op.is_open)
    orders = {}
    if held:
        orders = {
            order.pk: order
            for order in order_qs_select_for_update().select_related("created_by").filter(pk__in=held).order_by("pk")
        }
    for operation in operations.values():
        operation.account = accounts[operation.account_id]
        if operation.order_id in orders:
            operation.order = orders[operation.order_id]
    return operations


def _undecided(operation: ManualOperation | None) -> ManualOperation:
    if operation is None:
        raise NotFound("No such manual operation.")
    if operation.status != OperationStatus.APPROVAL_REQUIRED:
        raise OperationAlreadyDecided(operation)  # R14
    return operation


def _single(done: list, refused: list):
    if refused:
        raise refused[0][1]
    return done[0]


# --- approve ---------------------------------------------------------------------------------


def manual_operation_approve(
    *,
    actor,
    operation_id: int,
    note: str = "",
    postpaid_limit: Decimal | int | str | None | Unset = UNSET,
    credit_review_on: date | str | None | Unset = UNSET,
) -> ManualOperation:
    """R14, R15, R41: approve once; the held order provisions after commit. A permission
    operation approves the account; a credit review leaves the permission as it is. Either may
    set new terms in the same decision (R37, R41): a term left out is unchanged, ``None``
    clears it."""
    terms = {"postpaid_limit": postpaid_limit, "credit_review_on": credit_review_on}
    return _single(*_approve_each(actor, [operation_id], note, terms))


def manual_operation_approve_many(*, actor, operation_ids: Iterable[int], note: str = "") -> tuple[list, list]:
    """R14, R15, R18, R41: approve each operation on its own (the queue's bulk action; credit
    reviews too, without new terms). Returns the operations approved and ``(id, refusal)`` of
    the others, in the given order."""
    return _approve_each(actor, operation_ids, note, {})


def _approve_each(actor, operation_ids, note, terms):
    _require_manager(actor)
    ids = _valid_ids(operation_ids, "operation")
    terms = clean_terms(**terms)
    return _each(ids, _lock_operations, lambda uow, operation: _approve(uow, actor, _undecided(operation), note, terms))


def _approve(uow: UnitOfWork, actor, operation: ManualOperation, note: str, terms: dict) -> ManualOperation:
    """R15, R41 on locked rows, the operation undecided."""
    account, order = operation.account, operation.order if operation.order_id is not None else None
    is_credit_review = operation.operation == OperationType.CREDIT_REVIEW
    if is_credit_review and "credit_review_on" not in terms and HoldReason.REVIEW_DUE in operation.hold_reasons:
        terms = {**terms, "credit_review_on": None}  # R41: the review took place
    audited_transition(
        operation,
        "approve",
        uow=uow,
        object_type=ObjectType.MANUAL_OPERATION,
        field="status",
        actor=actor,
        reason=note,
        by=actor,
        note=note,
    )
    if not is_credit_review and account.postpay_permission == PostpayPermission.UNDER_REVIEW:
        account_grant_postpay(  # else support set it (R7)
            uow=uow, actor=actor, account=account, reason=f"manual operation #{operation.pk} approved"
        )
    if terms:
        _check_limit_covers_commitment(account, terms)
        account_terms_apply(
            uow=uow, actor=actor, account=account, reason=f"manual operation #{operation.pk} approved", **terms
        )
    if order is not None and order.status == OrderStatus.WAITING_FOR_APPROVAL:  # else support changed it
        order_release_after_approval(uow, actor=actor, order=order)
    logger.info(
        "manual_operation_approved", operation_id=operation.pk, order_id=operation.order_id, account_id=account.pk
    )
    return operation


def _check_limit_covers_commitment(account: Account, terms: dict) -> None:
    """R41: a new limit below the account's commitment at the decision — the held order
    included, which is open — is refused, and the savepoint of the item undoes the decision."""
    limit = terms.get("postpaid_limit")
    if limit is not None:
        commitment = account_commitment(account.pk)
        if limit < commitment:
            raise InvalidInput.on(
                "postpaid_limit",
                f"The limit cannot be below the account's commitment of {commitment} with the orders this approval "
                "releases.",
            )


# --- decline ---------------------------------------------------------------------------------


def manual_operation_decline(*, actor, operation_id: int, reason: str, note: str = "") -> ManualOperation:
    """R14, R16: decline once with a structured internal reason; the held order fails with
    ``postpay_declined``; nothing is sent to the customer."""
    return _single(*manual_operation_decline_many(actor=actor, operation_ids=[operation_id], reason=reason, note=note))


def manual_operation_decline_many(
    *, actor, operation_ids: Iterable[int], reason: str, note: str = ""
) -> tuple[list, list]:
    """R14, R16, R18: decline each operation on its own (the queue's bulk action); a refused
    one does not stop the rest."""
    _require_manager(actor)
    if reason not in DeclineReason.values:
        raise InvalidInput.on("reason", f"Choose one of: {', '.join(DeclineReason.values)}.")
    ids = _valid_ids(operation_ids, "operation")
    return _each(
        ids, _lock_operations, lambda uow, operation: _decline(uow, actor, _undecided(operation), reason, note)
    )


def _decline(uow: UnitOfWork, actor, operation: ManualOperation, reason: str, note: str) -> ManualOperation:
    """R16 on locked rows, the operation undecided."""
    account, order = operation.account, operation.order if operation.order_id is not None else None
    audited_transition(
        operation,
        "decline",
        uow=uow,
        object_type=ObjectType.MANUAL_OPERATION,
        field="status",
        actor=actor,
        reason=reason,
        by=actor,
        reason_code=reason,
        note=note,
    )
    if operation.operation == OperationType.CREDIT_REVIEW:
        # R41: only the held order fails; the account stays approved with its terms.
        if order is not None and order.status == OrderStatus.WAITING_FOR_APPROVAL:
            order_fail_by_credit_review(uow, actor=actor, order=order)
        order = None
    elif account.postpay_permission == PostpayPermission.UNDER_REVIEW:  # else support set it (R7)
        account_refuse_postpay(
            uow=uow, actor=actor, account=account, reason=f"manual operation #{operation.pk} declined"
        )
    if order is not None and order.status == OrderStatus.WAITING_FOR_APPROVAL:  # else support changed it
        order_fail_by_decline(uow, actor=actor, order=order)
    logger.info(
        "manual_operation_declined",
        operation_id=operation.pk,
        order_id=operation.order_id,
        account_id=account.pk,
        reason=reason,
    )
    return operation


# --- approve in advance ----------------------------------------------------------------------


def manual_operation_approve_in_advance(
    *,
    actor,
    account_id: int,
    note: str = "",
    postpaid_limit: Decimal | int | str | None | Unset = UNSET,
    credit_review_on: date | str | None | Unset = UNSET,
) -> Account:
    """R36b: a manager approves a ``none`` account before any order: one operation opened
    and approved at once (no order), the account approved, all audited (R29), in one
    transaction. Any mode: it is how a reseller prepares the switch to Manually.

    Under review: ``postpay_under_review`` (decide its operation instead); declined:
    ``postpay_declined``; approved already: ``postpay_review_not_needed``. May set credit
    terms in the same decision (R37).
    """
    terms = {"postpaid_limit": postpaid_limit, "credit_review_on": credit_review_on}
    return _single(*_approve_in_advance_each(actor, [as_id(account_id, "account")], note, terms))


def manual_operation_approve_in_advance_many(*, actor, account_ids: Iterable[int], note: str = "") -> tuple[list, list]:
    """R36b for many accounts (the accounts list's bulk action): each account on its own; a
    refused one changes nothing (R18: the rest go on)."""
    return _approve_in_advance_each(actor, account_ids, note, {})


def _approve_in_advance_each(actor, account_ids, note, terms):
    _require_manager(actor, "Only a manager may approve postpaid ordering in advance.")
    ids = _valid_ids(account_ids, "account")
    terms = clean_terms(**terms)
    return _each(ids, _lock_accounts, lambda uow, account: _approve_in_advance(uow, actor, account, note, terms))


def _lock_accounts(account_ids) -> dict[int, Account]:
    """Accounts locked for a decision, by id, with what their events show (R34): class,
    manager, and the commitment (R38), read for the whole chunk in this one query. A decision
    never changes its account's commitment — the held order stays open through an approval,
    and through a permission decline (R32) — so the events it appends read it from here; a
    declined credit review, which closes its order, appends no account event."""
    return {
        account.pk: account
        for account in accounts_with_commitment(account_qs_select_for_update())
        .select_related("account_class", "manager")
        .filter(pk__in=account_ids)
        .order_by("pk")
    }


def _approve_in_advance(uow: UnitOfWork, actor, account: Account | None, note: str, terms: dict) -> Account:
    """R36b on a locked account: its refusals, before anything changes; then one operation
    opened and approved at once, and the account approved."""
    if account is None:
        raise NotFound("No such account.")
    if account.postpay_permission == PostpayPermission.UNDER_REVIEW:
        raise PostpayUnderReview("The account is under review: decide its open manual operation instead.")
    if account.postpay_permission == PostpayPermission.DECLINED:
        raise PostpayDeclined()
    if account.postpay_permission == PostpayPermission.APPROVED:
        raise PostpayReviewNotNeeded("The account is already approved for postpaid ordering.")
    operation = manual_operation_open(
        uow=uow, actor=actor, account=account, origin=OperationOrigin.APPROVED_IN_ADVANCE, notify=False
    )
    audited_transition(
        operation,
        "approve",
        uow=uow,
        object_type=ObjectType.MANUAL_OPERATION,
        field="status",
        actor=actor,
        reason=note or "approved in advance",
        by=actor,
        note=note,
    )
    account_approve_postpay_in_advance(
        uow=uow, actor=actor, account=account, reason=f"manual operation #{operation.pk} approved in advance"
    )
    if terms:
        account_terms_apply(
            uow=uow,
            actor=actor,
            account=account,
            reason=f"manual operation #{operation.pk} approved in advance",
            **terms,
        )
    return account


# --- support ---------------------------------------------------------------------------------


def account_postpay_override(*, actor, account_id: int, to: str, reason: str) -> Account:
    """R7: support's way to change a final status; requires a reason; audited.

    Refused while the account has an open manual operation (R12: an open operation means the
    account is under review): the decision belongs to a manager in the queue, and changing
    only the account would leave an operation no manager could decide (decision 11).
    """
    if to not in PostpayPermission.values or to == PostpayPermission.UNDER_REVIEW:
        raise InvalidInput.on("to", "Choose approved, declined or none.")
    if not (reason or "").strip():
        raise InvalidInput.on("reason", "A reason is required.")
    with transaction.atomic(), unit_of_work() as uow:
        account = locked_account(account_id)
        open_operation = (
            ManualOperation.objects.filter(account=account, status=OperationStatus.APPROVAL_REQUIRED)
            .values_list("pk", flat=True)
            .first()
        )
        if open_operation is not None:
            raise PostpayUnderReview(
                f"Account #{account.pk} is under review: manual operation #{open_operation} is open. "
                "A manager decides it in the operator portal; the override is for final statuses only."
            )
        audited_transition(
            account,
            "override_postpay",
            uow=uow,
            object_type=ObjectType.ACCOUNT,
            field="postpay_permission",
            actor=actor,
            reason=f"support override: {reason.strip()}",
            to=to,
        )
    return account
