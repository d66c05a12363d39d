"""Provisioning (R22, R23): claim by lease, provision once, complete or fail.

A delivery claims the order with a lease (``claimed_until``, ``claim_token``) inside a
locked transaction. A second delivery of the same message finds the order completed, or
the lease held, and returns: no second subscription. A worker killed mid-task leaves a
lease that expires; the periodic sweep then re-enqueues the order.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from audit.models import ObjectType
from audit.services import audited_transition, publish_change
from audit.unit_of_work import UnitOfWork, unit_of_work

from ..errors import TransientProvisioningError
from ..lock_objects import order_qs_select_for_update
from ..models import AttemptOutcome, Order, OrderStatus, ProvisioningAttempt
from ..provisioners import get_provisioner

logger = structlog.get_logger(__name__)

TRANSIENT_ERRORS = (TransientProvisioningError, OperationalError, InterfaceError, SoftTimeLimitExceeded)


def enqueue_provisioning(order_id: int) -> None:
    """Hand the order to the broker now.

    ``retry=False``: a broker that is down must not hang or fail the request that already
    committed; the sweep re-enqueues orders left in ``provisioning`` (R22).
    """
    from ..tasks import provision_order_task

    provision_order_task.apply_async((order_id,), retry=False)


def enqueue_provisioning_many(order_ids: Sequence[int]) -> None:
    """One order: its task now. Many (a bulk approval): one message that the worker fans out
    into a task per order, so the request does not publish a message a row; lost, the sweep
    re-enqueues them like any order left in ``provisioning``."""
    from ..tasks import enqueue_provisioning_task

    if len(order_ids) == 1:
        enqueue_provisioning(order_ids[0])
    elif order_ids:
        enqueue_provisioning_task.apply_async((list(order_ids),), retry=False)


def enqueue_on_commit(uow: UnitOfWork, order_id: int) -> None:
    """Enqueue only once the transaction that moved the order to provisioning commits, with
    the other orders of the unit of work in one message (a bulk approval, decision 104)."""
    uow.after_commit(enqueue_provisioning_many, [order_id])


def _claim(order_id):
    """First transaction: take the lease, or return None when another delivery has the work."""
    now = timezone.now()
    with transaction.atomic(), unit_of_work() as uow:
        order = order_qs_select_for_update().filter(pk=order_id).first()
        if order is None or order.status != OrderStatus.PROVISIONING:
            return None, None  # already completed or failed: a duplicate delivery
        if order.claimed_until and order.claimed_until > now:
            return None, None  # another delivery holds the lease
        order.attempts.filter(outcome=AttemptOutcome.RUNNING).update(
            outcome=AttemptOutcome.ABANDONED, finished_at=now, error="the worker was lost"
        )
        number = order.attempts.count() + 1
        if number > settings.PROVISIONING_MAX_ATTEMPTS:
            audited_transition(
                order,
                "fail_provisioning",
                uow=uow,
                object_type=ObjectType.ORDER,
                field="status",
                reason="too many provisioning attempts",
                error=f"gave up after {number - 1} attempts",
            )
            return None, None
        order.claimed_until = now + timedelta(seconds=settings.PROVISIONING_LEASE_SECONDS)
        order.claim_token = uuid.uuid4()
        order.save(update_fields=["claimed_until", "claim_token"])
        attempt = ProvisioningAttempt.objects.create(order=order, number=number)
    logger.info("provisioning_attempt_started", order_id=order_id, attempt=number)
    return order.claim_token, attempt


def order_provision(*, order_id: int) -> Order | None:
    """R22, R23: provision the order once, whatever the number of deliveries.

    Raises a transient error (after releasing the lease) for the task to retry; any other
    error fails the order at once with the error kept.
    """
    token, attempt = _claim(order_id)
    if token is None:
        return None
    try:
        with transaction.atomic(), unit_of_work() as uow:
            order = (
                order_qs_select_for_update()
                .select_related("plan", "created_by", "approved_by")  # the order's event shows both users
                .get(pk=order_id)
            )
            if order.status != OrderStatus.PROVISIONING or order.claim_token != token:
                attempt.finish(AttemptOutcome.ABANDONED, "the lease was lost to another delivery")
                return None
            created = order.subscription_id is None  # a `new` order; renewal and switch change one
            subscription = get_provisioner().provision(order)
            # R34: published here, not by the (pluggable) provisioner, in the transaction that
            # completes the order; the order's own event comes from its transition.
            publish_change(uow=uow, object_type="subscription", obj=subscription, created=created)
            audited_transition(
                order,
                "complete",
                uow=uow,
                object_type=ObjectType.ORDER,
                field="status",
                reason=f"provisioned (attempt {attempt.number})",
                subscription=subscription,
            )
            attempt.finish(AttemptOutcome.SUCCEEDED)
            transaction.on_commit(lambda: _notify_completed(order.pk), robust=True)
        logger.info("order_provisioned", order_id=order_id, attempt=attempt.number, subscription_id=subscription.pk)
        return order
    except TRANSIENT_ERRORS as exc:
        _release_after_transient(order_id, token, attempt, exc)
        raise
    except Exception as exc:  # a permanent error: no retry can fix it
        logger.exception("provisioning_failed", order_id=order_id, attempt=attempt.number)
        _fail(order_id, attempt, exc, token=token)
        return None


def _notify_completed(order_id):
    from ..notifications import notify_customer_order_completed

    notify_customer_order_completed(order_id)  # R19


def _release_after_transient(order_id, token, attempt, exc):
    with transaction.atomic():
        attempt.finish(AttemptOutcome.FAILED, f"transient: {exc}")
        order = order_qs_select_for_update().get(pk=order_id)
        if order.claim_token == token:
            order.claimed_until = None
            order.claim_token = None
            # The task retries with backoff; keep the sweep from racing that retry.
            order.enqueued_at = timezone.now()
            order.save(update_fields=["claimed_until", "claim_token", "enqueued_at"])


def _fail(order_id, attempt, exc, token=None):
    with transaction.atomic(), unit_of_work() as uow:
        if attempt is not None and attempt.outcome == AttemptOutcome.RUNNING:
            attempt.finish(AttemptOutcome.FAILED, exc)
        order = order_qs_select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PROVISIONING or (token and order.claim_token not in (token, None)):
            return order
        audited_transition(
            order,
            "fail_provisioning",
            uow=uow,
            object_type=ObjectType.ORDER,
            field="status",
            reason="provisioning failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    return order


def order_fail_provisioning(*, order_id: int, error: str | Exception) -> Order:
    """R22: after the last retry the order becomes provisioning_failed with the error kept."""
    return _fail(order_id, None, error)


def provisioning_sweep(*, now: datetime | None = None) -> list[int]:
    """R22: re-enqueue orders left in ``provisioning``: a lost message, a worker killed
    mid-task, a broker that was down at approval. Returns the ids it re-enqueued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PROVISIONING_SWEEP_AFTER_SECONDS)
    with transaction.atomic(), unit_of_work() as uow:
        stuck = list(
            Order.objects.select_for_update(skip_locked=True)
            .filter(status=OrderStatus.PROVISIONING, enqueued_at__lt=cutoff)
            .exclude(claimed_until__gt=now)
            .values_list("pk", flat=True)[:500]
        )
        if stuck:
            # Not a status change: only the bookkeeping of when it was last enqueued.
            Order.objects.filter(pk__in=stuck).update(enqueued_at=now)
            for order_id in stuck:
                enqueue_on_commit(uow, order_id)
    if stuck:
        logger.warning(f"sweep re-enqueued {len(stuck)} order(s) left in provisioning", order_ids=stuck)
    return stuck
