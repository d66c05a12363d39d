"""R29, R34: every status change of an order — whichever service makes it — appends exactly one
``order.status_changed`` event beside its audit entry, in its transaction."""

import pytest

from audit.models import AuditLogEntry
from events.models import Event, EventType
from subscriptions.models import OrderStatus
from subscriptions.services import (
    order_cancel,
    order_fail_provisioning,
    order_pay,
    order_provision,
    order_retry_provisioning,
)
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def _status_events(order):
    return list(Event.objects.filter(type=EventType.ORDER_STATUS_CHANGED, object_id=order.pk).order_by("id"))


def _failed(order):
    order_fail_provisioning(order_id=order.pk, error="the platform said no")
    return order


def _transitions(customer, staff, prepaid_plan, postpaid_plan):
    """name → (setup returning an order, the change, the status it goes from and to)."""
    return {
        "pay": (
            lambda: place(customer, prepaid_plan),
            lambda order: order_pay(actor=staff, order_id=order.pk),
            OrderStatus.WAITING_FOR_PAYMENT,
            OrderStatus.PROVISIONING,
        ),
        "cancel": (
            lambda: place(customer, prepaid_plan),
            lambda order: order_cancel(actor=customer, order_id=order.pk),
            OrderStatus.WAITING_FOR_PAYMENT,
            OrderStatus.CANCELLED,
        ),
        "retry": (
            lambda: _failed(place(customer, postpaid_plan)),
            lambda order: order_retry_provisioning(actor=staff, order_id=order.pk),
            OrderStatus.PROVISIONING_FAILED,
            OrderStatus.PROVISIONING,
        ),
        "fail": (
            lambda: place(customer, postpaid_plan),
            lambda order: order_fail_provisioning(order_id=order.pk, error="gone"),
            OrderStatus.PROVISIONING,
            OrderStatus.PROVISIONING_FAILED,
        ),
        "complete": (
            lambda: place(customer, postpaid_plan),
            lambda order: order_provision(order_id=order.pk),
            OrderStatus.PROVISIONING,
            OrderStatus.COMPLETED,
        ),
    }


@pytest.mark.parametrize("name", ["pay", "cancel", "retry", "fail", "complete"])
def test_r34_each_order_transition_appends_exactly_one_status_changed_event(
    name, customer_alice, staff_sam, prepaid_plan, postpaid_plan
):
    setup, change, old, new = _transitions(customer_alice, staff_sam, prepaid_plan, postpaid_plan)[name]
    order = setup()
    order.refresh_from_db()
    assert order.status == old
    before = _status_events(order)
    entries_before = AuditLogEntry.objects.filter(object_type="order", object_id=order.pk).count()

    change(order)

    added = _status_events(order)[len(before) :]
    assert len(added) == 1, [event.data for event in added]
    assert added[0].data["from"] == old
    assert added[0].data["order"]["status"] == new
    assert AuditLogEntry.objects.filter(object_type="order", object_id=order.pk).count() == entries_before + 1
