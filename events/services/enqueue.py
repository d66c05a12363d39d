"""Handing webhook deliveries to the broker (R34): now, or once the transaction commits."""

from collections.abc import Collection, Iterable

from django.db import transaction


def enqueue_deliveries(delivery_ids: Iterable[int], countdown: float | None = None) -> None:
    """Hand deliveries to the ``webhooks`` queue now. ``retry=False``: a broker that is down
    must not hang or fail a request that already committed; the sweep re-sends what is left
    pending."""
    from ..tasks import deliver_webhook_task

    for delivery_id in delivery_ids:
        deliver_webhook_task.apply_async((delivery_id,), countdown=countdown, retry=False)


def enqueue_on_commit(delivery_ids: Collection[int]) -> None:
    """Hand deliveries to the broker once the transaction commits (never before: a
    rolled-back change must not be sent)."""
    if delivery_ids:
        ids = list(delivery_ids)
        transaction.on_commit(lambda: enqueue_deliveries(ids), robust=True)
