from decimal import Decimal, InvalidOperation

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.lock_objects import locked_account
from accounts.models import Account, PostpayPermission
from accounts.services import account_request_postpay_review
from accounts.visibility import refusal_for
from audit.models import ObjectType
from audit.services import audit_record, audited_transition
from audit.unit_of_work import UnitOfWork, unit_of_work
from postpay_portal.errors import InvalidInput, NotFound
from postpay_portal.guards import as_id, is_staff, require_perm, require_user
from settings_app.selectors import postpay_settings_get

from ..credit import CreditCheck, credit_check, order_increase
from ..errors import CreditReviewOpen, InvalidOrderStatus, OrderInProgress, TrialAlreadyUsed
from ..gate import GateDecision, order_first_status, postpay_gate
from ..lock_objects import order_qs_select_for_update, subscription_qs_select_for_update
from ..models import (
    DECLINE_FAILURE_REASONS,
    BillingModel,
    Order,
    OrderStatus,
    OrderType,
    Period,
    Plan,
    Subscription,
    open_order_q,
)
from ..selectors import account_commitment, open_credit_review_exists, trial_used_plan_ids
from .provisioning import enqueue_on_commit

logger = structlog.get_logger(__name__)

ADD_ORDER = "subscriptions.add_order"
ADD_PLAN = "subscriptions.add_plan"
CHANGE_ORDER = "subscriptions.change_order"


def _plan(plan_id) -> Plan:
    plan_id = as_id(plan_id, "plan", unknown=InvalidInput.on("plan", "No such plan."))
    try:
        return Plan.objects.get(pk=plan_id)
    except Plan.DoesNotExist:
        raise InvalidInput.on("plan", "No such plan.")


def _period(period, plan) -> str:
    if period not in Period.values:
        raise InvalidInput.on("period", f"Choose one of: {', '.join(Period.values)}.")
    if period == Period.TRIAL and not plan.has_trial:
        raise InvalidInput.on("period", "This plan has no trial period.")
    return period


def _locked_account_for(actor, account_id) -> Account:
    """Lock the account the actor acts for: a customer their own (another account is 404, as
    missing, R31), staff any with the permission to add orders (R33)."""
    require_user(actor)
    account_id = as_id(account_id, "account")
    if not is_staff(actor) and getattr(actor, "account_id", None) != account_id:
        raise NotFound("No such account.")
    if is_staff(actor):
        require_perm(actor, ADD_ORDER, "Only operators may place orders for an account.")
    return locked_account(account_id)


def order_place(*, actor, account_id: int, plan_id: int, period: str) -> Order:
    """R5, R9–R13, R20, R21, R47: place a `new` order for an account.

    Customers may order only for their own account; operators for any (and obey the gate).
    """
    require_user(actor)
    plan = _plan(plan_id)
    period = _period(period, plan)
    with transaction.atomic(), unit_of_work() as uow:
        account = _locked_account_for(actor, account_id)
        if period == Period.TRIAL and plan.pk in trial_used_plan_ids(account.pk):
            raise TrialAlreadyUsed()  # R47, read under the account's lock: two at once cannot both pass
        return _order_create(uow, actor=actor, account=account, plan=plan, period=period, order_type=OrderType.NEW)


def subscription_renew(*, actor, subscription_id: int) -> Order:
    """R23: a `renewal` order for one more billing period, through the same gate (R5)."""
    with transaction.atomic(), unit_of_work() as uow:
        account, subscription = _locked_subscription(actor, subscription_id)
        return _order_create(
            uow,
            actor=actor,
            account=account,
            plan=subscription.plan,
            period=Period.COMMERCIAL,
            order_type=OrderType.RENEWAL,
            subscription=subscription,
        )


def subscription_switch(*, actor, subscription_id: int, plan_id: int) -> Order:
    """R23: a `switch` order to another plan, through the same gate (R5)."""
    with transaction.atomic(), unit_of_work() as uow:
        account, subscription = _locked_subscription(actor, subscription_id)
        plan = _plan(plan_id)
        if plan.pk == subscription.plan_id:
            raise InvalidInput.on("plan", "The subscription is already on this plan.")
        return _order_create(
            uow,
            actor=actor,
            account=account,
            plan=plan,
            period=Period.COMMERCIAL,
            order_type=OrderType.SWITCH,
            subscription=subscription,
        )


def _locked_subscription(actor, subscription_id):
    """Lock account, then subscription (STYLE §2 lock order); R23: refuse while an order of
    the subscription is open. Another account's subscription is "No such subscription.",
    word for word as a missing one (R31: ids cannot be enumerated)."""
    require_user(actor)
    subscription_id = as_id(subscription_id, "subscription")
    account_id = Subscription.objects.filter(pk=subscription_id).values_list("account_id", flat=True).first()
    if account_id is None or not is_staff(actor) and account_id != getattr(actor, "account_id", None):
        raise NotFound("No such subscription.")
    account = _locked_account_for(actor, account_id)
    subscription = subscription_qs_select_for_update().select_related("plan").get(pk=subscription_id)
    _ensure_no_open_order(subscription.pk)
    return account, subscription


def _ensure_no_open_order(subscription_id, *, besides=None):
    """R23, R32: one open order per subscription, an order failed by a decline included
    (``models.open_order_q``): the customer reads it as held."""
    others = Order.objects.filter(open_order_q(), subscription_id=subscription_id)
    if besides is not None:
        others = others.exclude(pk=besides)
    if others.exists():
        raise OrderInProgress()


def order_credit_check(
    *,
    account: Account,
    plan: Plan,
    period: str,
    order_type: str,
    subscription: Subscription | None = None,
    gated: bool,
) -> CreditCheck | None:
    """R39, R40 for an order of a locked account, or None when the check does not apply: the
    order is not gated, the account is not approved, or its increase is not above zero.
    Refuses ``credit_review_open`` while a credit review of the account is open. The catalog
    asks it too, read-only, before submit (R42)."""
    if not gated or account.postpay_permission != PostpayPermission.APPROVED:
        return None
    increase = order_increase(order_type=order_type, plan=plan, period=period, subscription=subscription)
    if increase <= 0:
        return None  # terms never stop what already runs (R39)
    if open_credit_review_exists(account.pk):
        raise CreditReviewOpen()
    return credit_check(
        account=account,
        increase=increase,
        commitment=lambda: account_commitment(account.pk),
        today=timezone.localdate(),
    )


def _order_create(uow: UnitOfWork, *, actor, account, plan, period, order_type, subscription=None) -> Order:
    """The caller holds the account's lock: the gate's reads of the account, the settings and
    the commitment, and the writes, are one step (R12, R40)."""
    gate = postpay_gate(
        permission=account.postpay_permission,
        plan=plan,
        period=period,
        order_type=order_type,
        settings_row=postpay_settings_get(),
    )
    if gate.decision is GateDecision.REFUSE:
        raise refusal_for(actor, account.postpay_permission)  # R10, masked for customers (R6)
    credit = order_credit_check(
        account=account, plan=plan, period=period, order_type=order_type, subscription=subscription, gated=gate.gated
    )
    held_for_credit_review = credit is not None and credit.held
    status = order_first_status(
        decision=gate.decision, held_for_credit_review=held_for_credit_review, plan=plan, period=period
    )
    order = Order(
        type=order_type,
        account=account,
        plan=plan,
        period=period,
        price=plan.price if period == Period.COMMERCIAL else Decimal("0.00"),
        status=status,
        subscription=subscription,
        created_by=actor,
        enqueued_at=timezone.now() if status == OrderStatus.PROVISIONING else None,
    )
    try:
        order.save()
    except IntegrityError:
        # R23's constraint caught a race the lock did not. No savepoint is needed: the refusal
        # leaves the placement's atomic block, which rolls the whole placement back.
        raise OrderInProgress()
    audit_record(
        uow=uow,
        object_type=ObjectType.ORDER,
        object_id=order.pk,
        field="status",
        old=None,
        new=status,
        actor=actor,
        reason=f"{order_type} order placed",
        obj=order,
    )
    # R35: logged once the order exists for everyone, outside the transaction's locks.
    placed = {"order_id": order.pk, "account_id": account.pk, "type": order_type, "status": status}
    uow.after_commit(_log_placed, [placed])
    if gate.decision is GateDecision.HOLD:
        from manual_operations.services import manual_operation_open

        account_request_postpay_review(uow=uow, actor=actor, account=account, reason=f"first gated order #{order.pk}")
        manual_operation_open(uow=uow, actor=actor, account=account, order=order)
    elif held_for_credit_review:
        from manual_operations.services import manual_operation_open_credit_review

        manual_operation_open_credit_review(uow=uow, actor=actor, account=account, order=order, check=credit)
    elif status == OrderStatus.PROVISIONING:
        enqueue_on_commit(uow, order.pk)
    return order


def _log_placed(placements):
    for placed in placements:
        logger.info("order_placed", **placed)


def plan_create(*, actor, name: str, billing_model: str, price: Decimal | int | str, trial_days: int = 0) -> Plan:
    """The catalog: plans are created, never edited (decision 9)."""
    require_perm(actor, ADD_PLAN, "Only operators may create plans.")
    fields = {}
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        fields["name"] = ["A name of at most 200 characters is required."]
    if billing_model not in BillingModel.values:
        fields["billing_model"] = [f"Choose one of: {', '.join(BillingModel.values)}."]
    try:
        price = Decimal(str(price))
        if not price.is_finite() or price < 0 or price.as_tuple().exponent < -2 or price >= Decimal("1e10"):
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        fields["price"] = ["A non-negative amount with at most 2 decimals is required."]
    if isinstance(trial_days, bool) or not isinstance(trial_days, int) or not 0 <= trial_days <= 3650:
        fields["trial_days"] = ["A whole number of days from 0 to 3650 is required."]
    if fields:
        raise InvalidInput(fields=fields)
    return Plan.objects.create(name=name.strip(), billing_model=billing_model, price=price, trial_days=trial_days)


def _locked_order_for(actor, order_id) -> Order:
    require_user(actor)
    order_id = as_id(order_id, "order")
    try:
        order = order_qs_select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound("No such order.")
    if not is_staff(actor) and order.account_id != getattr(actor, "account_id", None):
        raise NotFound("No such order.")
    return order


def order_transition(uow: UnitOfWork, order: Order, name: str, *, actor, reason: str = "", **kwargs) -> None:
    """One status change of a locked order, audited (R29) with its event (R34) and logged
    (R35)."""
    old = order.status
    audited_transition(
        order, name, uow=uow, object_type=ObjectType.ORDER, field="status", actor=actor, reason=reason, **kwargs
    )
    logger.info("order_status_changed", order_id=order.pk, old=old, new=order.status, reason=reason)


def order_pay(*, actor, order_id: int) -> Order:
    """R21: an operator records the payment; provisioning starts after commit."""
    require_user(actor)
    require_perm(actor, CHANGE_ORDER, "Only operators may record payments.")
    with transaction.atomic(), unit_of_work() as uow:
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.WAITING_FOR_PAYMENT:
            raise InvalidOrderStatus("Only an order waiting for payment can be paid.")
        order_transition(uow, order, "pay", actor=actor, reason="payment recorded")
        enqueue_on_commit(uow, order.pk)
    return order


def order_cancel(*, actor, order_id: int) -> Order:
    """R25: only an order waiting for payment can be cancelled; a held one cannot. Customers
    cancel their own orders; staff need the permission to change orders (R33)."""
    require_user(actor)
    if is_staff(actor):
        require_perm(actor, CHANGE_ORDER, "Only operators may cancel orders.")
    with transaction.atomic(), unit_of_work() as uow:
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.WAITING_FOR_PAYMENT:
            raise InvalidOrderStatus("Only an order waiting for payment can be cancelled.")
        order_transition(uow, order, "cancel", actor=actor, reason="cancelled")
    return order


def order_retry_provisioning(*, actor, order_id: int) -> Order:
    """R22: retry a failed provisioning; never an order failed by a decline (R16, R41). R23: a
    renewal or switch is retried only while no other order of its subscription is open."""
    require_user(actor)
    require_perm(actor, CHANGE_ORDER, "Only operators may retry provisioning.")
    with transaction.atomic(), unit_of_work() as uow:
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.PROVISIONING_FAILED or order.failure_reason in DECLINE_FAILURE_REASONS:
            raise InvalidOrderStatus("Only an order whose provisioning failed (not by a decline) can be retried.")
        if order.subscription_id is not None:
            # Lock order → subscription (STYLE §2): a renewal placed meanwhile has committed.
            subscription_qs_select_for_update().filter(pk=order.subscription_id).first()
            _ensure_no_open_order(order.subscription_id, besides=order.pk)
        try:
            with transaction.atomic():
                order_transition(uow, order, "retry_provisioning", actor=actor, reason="provisioning retried")
        except IntegrityError:
            raise OrderInProgress()  # R23's constraint caught what the lock did not
        enqueue_on_commit(uow, order.pk)
    return order


# Made inside manual_operations' units of work, on rows they locked.


def order_release_after_approval(uow: UnitOfWork, *, actor, order: Order) -> None:
    """R15: held order → provisioning; the task runs after the decision commits."""
    order_transition(uow, order, "release", actor=actor, reason="postpay permission approved", approved_by=actor)
    enqueue_on_commit(uow, order.pk)


def order_fail_by_decline(uow: UnitOfWork, *, actor, order: Order) -> None:
    """R16: held order → provisioning_failed with reason postpay_declined."""
    order_transition(uow, order, "fail_by_decline", actor=actor, reason="postpay permission declined")


def order_fail_by_credit_review(uow: UnitOfWork, *, actor, order: Order) -> None:
    """R41: the held order of a declined credit review → provisioning_failed with reason
    credit_review_declined."""
    order_transition(uow, order, "fail_by_credit_review", actor=actor, reason="credit review declined")
