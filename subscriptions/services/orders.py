import enum
from decimal import Decimal, InvalidOperation

import structlog
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import PostpayPermission
from accounts.services import account_request_postpay_review
from accounts.visibility import open_order_q, refusal_for
from audit.models import ObjectType
from audit.services import audit_record, audited_transition
from postpay_portal.errors import InvalidInput, NotFound
from settings_app.selectors import postpay_settings_from, postpay_settings_get, with_postpay_settings

from ..errors import InvalidOrderStatus, OrderInProgress
from ..models import (
    BillingModel,
    Order,
    OrderStatus,
    OrderType,
    Period,
    Plan,
    Subscription,
)
from .common import as_id, is_staff, locked_account_for, require_staff, require_user
from .provisioning import enqueue_on_commit

logger = structlog.get_logger(__name__)


class GateDecision(enum.Enum):
    PROCEED = "proceed"
    HOLD = "hold"
    REFUSE = "refuse"


def postpay_gate(*, account, plan, period, order_type, settings_row=None):
    """R5, R9–R11, R13: does this order go ahead, wait for a manager, or get refused?

    Gated when the mode is Manually, the plan is postpaid, the period is commercial (or
    trial with R2 on), for any order type. Operators' orders obey the same gate (R5).
    """
    settings_row = settings_row or postpay_settings_get()
    gated = (
        settings_row.is_manual
        and plan.billing_model == BillingModel.POSTPAY
        and (period == Period.COMMERCIAL or settings_row.trial_requires_approval)
        and order_type in OrderType.values
    )
    if not gated or account.postpay_permission == PostpayPermission.APPROVED:
        return GateDecision.PROCEED
    if account.postpay_permission == PostpayPermission.NONE:
        return GateDecision.HOLD
    return GateDecision.REFUSE


def order_gate_refusal(*, actor, account, plan, period, order_type=OrderType.NEW, settings_row=None):
    """R27: the refusal an order would meet, for showing it before submit; None if none.

    Read-only twin of the check inside ``_order_create``; both call ``postpay_gate``.
    A page asking for many plans passes the ``settings_row`` it read once.
    """
    decision = postpay_gate(account=account, plan=plan, period=period, order_type=order_type, settings_row=settings_row)
    if decision is GateDecision.REFUSE:
        return refusal_for(actor, account.postpay_permission)
    return None


def _plan(plan_id):
    plan_id = as_id(plan_id, "plan", unknown=InvalidInput.on("plan", "No such plan."))
    try:
        return Plan.objects.get(pk=plan_id)
    except Plan.DoesNotExist:
        raise InvalidInput.on("plan", "No such plan.")


def _plan_and_settings(plan_id):
    """The plan and the settings row the gate reads, in one statement (issue 11 item 6)."""
    plan_id = as_id(plan_id, "plan", unknown=InvalidInput.on("plan", "No such plan."))
    plan = with_postpay_settings(Plan, plan_id)
    if plan is None:
        raise InvalidInput.on("plan", "No such plan.")
    return plan, postpay_settings_from(plan)


def _period(period, plan):
    if period not in Period.values:
        raise InvalidInput.on("period", f"Choose one of: {', '.join(Period.values)}.")
    if period == Period.TRIAL and not plan.has_trial:
        raise InvalidInput.on("period", "This plan has no trial period.")
    return period


def order_place(*, actor, account_id, plan_id, period):
    """R5, R9–R13, R20, R21: place a `new` order for an account.

    Customers may order only for their own account; operators for any (and obey the gate).
    The plan and the settings are read before the transaction (see ``_order_create``).
    """
    require_user(actor)
    plan, settings_row = _plan_and_settings(plan_id)
    period = _period(period, plan)
    with transaction.atomic():
        account = locked_account_for(actor, account_id)
        return _order_create(
            actor=actor, account=account, plan=plan, period=period, order_type=OrderType.NEW, settings_row=settings_row
        )


def subscription_renew(*, actor, subscription_id):
    """R23: a `renewal` order for one more billing period, through the same gate (R5)."""
    settings_row = postpay_settings_get()
    with transaction.atomic():
        account, subscription = _locked_subscription(actor, subscription_id)
        return _order_create(
            actor=actor,
            account=account,
            plan=subscription.plan,
            period=Period.COMMERCIAL,
            order_type=OrderType.RENEWAL,
            subscription=subscription,
            settings_row=settings_row,
        )


def subscription_switch(*, actor, subscription_id, plan_id):
    """R23: a `switch` order to another plan, through the same gate (R5)."""
    settings_row = postpay_settings_get()
    with transaction.atomic():
        account, subscription = _locked_subscription(actor, subscription_id)
        plan = _plan(plan_id)
        if plan.pk == subscription.plan_id:
            raise InvalidInput.on("plan", "The subscription is already on this plan.")
        return _order_create(
            actor=actor,
            account=account,
            plan=plan,
            period=Period.COMMERCIAL,
            order_type=OrderType.SWITCH,
            subscription=subscription,
            settings_row=settings_row,
        )


def _locked_subscription(actor, subscription_id):
    """Lock account, then subscription (STYLE §2 lock order); R23: refuse while an order of
    the subscription is open."""
    require_user(actor)
    subscription_id = as_id(subscription_id, "subscription")
    account_id = Subscription.objects.filter(pk=subscription_id).values_list("account_id", flat=True).first()
    if account_id is None:
        raise NotFound("No such subscription.")
    account = locked_account_for(actor, account_id)
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("plan").get(pk=subscription_id)
    _ensure_no_open_order(subscription.pk)
    return account, subscription


def _ensure_no_open_order(subscription_id, *, besides=None):
    """R23, R32: one open order per subscription, an order failed by a decline included
    (``accounts.visibility.open_order_q``): the customer reads it as held."""
    others = Order.objects.filter(open_order_q(), subscription_id=subscription_id)
    if besides is not None:
        others = others.exclude(pk=besides)
    if others.exists():
        raise OrderInProgress()


def _order_create(*, actor, account, plan, period, order_type, settings_row, subscription=None):
    """The caller holds the account's lock: the gate's read of the account's status and the
    writes are one step.

    The plan and the settings row are read before the transaction (issue 11, item 6:
    a transaction that holds less holds its locks for less time — on SQLite, the whole
    database's write lock). Plans never change after ``plan_create``; the settings row is
    never locked by a placement either way, so reading it a moment earlier gates the order
    as the mode stood a moment earlier, as a placement that started then would have been
    (R4: a change of mode decides nothing about orders anyway).
    """
    decision = postpay_gate(account=account, plan=plan, period=period, order_type=order_type, settings_row=settings_row)
    if decision is GateDecision.REFUSE:
        raise refusal_for(actor, account.postpay_permission)  # R10, masked for customers (R6)
    if decision is GateDecision.HOLD:
        status = OrderStatus.WAITING_FOR_APPROVAL  # R9
    elif plan.billing_model == BillingModel.POSTPAY or period == Period.TRIAL:
        status = OrderStatus.PROVISIONING  # R21
    else:
        status = OrderStatus.WAITING_FOR_PAYMENT
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
    if subscription is None:
        order.save()  # a `new` order: no open-order constraint can fire, no savepoint needed
    else:
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError:
            raise OrderInProgress()  # R23's constraint caught a race the lock did not
    audit_record(
        object_type=ObjectType.ORDER,
        object_id=order.pk,
        field="status",
        old=None,
        new=status,
        actor=actor,
        reason=f"{order_type} order placed",
        obj=order,
    )
    # R35, logged once the order exists for everyone: after commit, and outside the
    # transaction's locks (on SQLite the whole database's write lock), where a log handler
    # shared by the server's threads would make every other writer wait for it too.
    placed = {"order_id": order.pk, "account_id": account.pk, "type": order_type, "status": status}
    transaction.on_commit(lambda: logger.info("order_placed", **placed), robust=True)
    if decision is GateDecision.HOLD:
        from manual_operations.services import manual_operation_open

        account_request_postpay_review(actor=actor, account=account, reason=f"first gated order #{order.pk}")
        manual_operation_open(actor=actor, account=account, order=order)
    elif status == OrderStatus.PROVISIONING:
        enqueue_on_commit(order.pk)
    return order


def plan_create(*, actor, name, billing_model, price, trial_days=0):
    require_staff(actor, "create plans")
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


def _locked_order_for(actor, order_id):
    require_user(actor)
    order_id = as_id(order_id, "order")
    try:
        order = Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound("No such order.")
    if not is_staff(actor) and order.account_id != getattr(actor, "account_id", None):
        raise NotFound("No such order.")
    return order


def _order_transition(order, name, *, actor, reason="", **kwargs):
    old = order.status
    audited_transition(order, name, object_type=ObjectType.ORDER, field="status", actor=actor, reason=reason, **kwargs)
    logger.info("order_status_changed", order_id=order.pk, old=old, new=order.status, reason=reason)  # R35


def order_pay(*, actor, order_id):
    """R21: an operator records the payment; provisioning starts after commit."""
    require_staff(actor, "record payments")
    with transaction.atomic():
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.WAITING_FOR_PAYMENT:
            raise InvalidOrderStatus("Only an order waiting for payment can be paid.")
        _order_transition(order, "pay", actor=actor, reason="payment recorded")
        enqueue_on_commit(order.pk)
    return order


def order_cancel(*, actor, order_id):
    """R25: only an order waiting for payment can be cancelled; a held one cannot."""
    with transaction.atomic():
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.WAITING_FOR_PAYMENT:
            raise InvalidOrderStatus("Only an order waiting for payment can be cancelled.")
        _order_transition(order, "cancel", actor=actor, reason="cancelled")
    return order


def order_retry_provisioning(*, actor, order_id):
    """R22: retry a failed provisioning; never an order failed by a decline (R16). R23: a
    renewal or switch is retried only while no other order of its subscription is open."""
    require_staff(actor, "retry provisioning")
    with transaction.atomic():
        order = _locked_order_for(actor, order_id)
        if order.status != OrderStatus.PROVISIONING_FAILED or order.failed_by_decline:
            raise InvalidOrderStatus("Only an order whose provisioning failed (not by a decline) can be retried.")
        if order.subscription_id is not None:
            # Lock order → subscription (STYLE §2): a renewal placed meanwhile has committed.
            Subscription.objects.select_for_update().filter(pk=order.subscription_id).first()
            _ensure_no_open_order(order.subscription_id, besides=order.pk)
        try:
            with transaction.atomic():
                _order_transition(order, "retry_provisioning", actor=actor, reason="provisioning retried")
        except IntegrityError:
            raise OrderInProgress()  # R23's constraint caught what the lock did not
        enqueue_on_commit(order.pk)
    return order


# Used by manual_operations.services inside its locked transaction.


def order_release_after_approval(*, actor, order):
    """R15: held order → provisioning; the task runs after the decision commits."""
    _order_transition(order, "release", actor=actor, reason="postpay permission approved", approved_by=actor)
    enqueue_on_commit(order.pk)


def order_fail_by_decline(*, actor, order):
    """R16: held order → provisioning_failed with reason postpay_declined."""
    _order_transition(order, "fail_by_decline", actor=actor, reason="postpay permission declined")
