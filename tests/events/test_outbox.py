"""R34: the outbox. Each committed change appends exactly one event in its own transaction,
with its deliveries; a refused or rolled-back change leaves none and sends nothing."""

import re
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.errors import PostpayUnderReview
from accounts.services import account_create
from events.ids import new_event_id
from events.models import DeliveryStatus, Event, WebhookDelivery
from events.services import webhook_endpoint_create, webhook_endpoint_update
from manual_operations.services import account_postpay_override, manual_operation_approve, manual_operation_decline
from settings_app.services import postpay_settings_update
from subscriptions.services import subscription_renew
from tests.support.actions import place

pytestmark = pytest.mark.django_db


def events(since=None):
    qs = Event.objects.order_by("id")
    if since is not None:
        qs = qs.filter(id__gt=since)
    return list(qs)


def types(items):
    return [event.type for event in items]


def last_id():
    event = Event.objects.order_by("-id").first()
    return event.id if event else ""


def test_r34_approval_flow_appends_one_event_per_change_in_order(
    manual_mode, customer_alice, postpaid_plan, manager_max, django_capture_on_commit_callbacks
):
    start = last_id()
    order = place(customer_alice, postpaid_plan)
    held = events(start)
    assert types(held) == ["order.created", "account.postpay_permission_changed", "manual_operation.created"]
    created, account_changed, operation_created = held
    assert created.data["from"] is None
    assert created.data["order"]["id"] == order.pk
    assert created.data["order"]["status"] == "waiting_for_approval"
    assert created.data["order"]["created_by"] == "alice"
    assert set(created.data["order"]) == {
        "id",
        "type",
        "account",
        "plan",
        "period",
        "price",
        "currency",
        "status",
        "failure_reason",
        "subscription",
        "created_by",
        "approved_by",
        "created_at",
    }
    assert account_changed.data["from"] == "none"
    assert account_changed.data["account"]["postpay_permission"] == "under_review"
    assert operation_created.data["manual_operation"]["status"] == "approval_required"
    assert operation_created.data["manual_operation"]["order"] == order.pk

    start = last_id()
    with django_capture_on_commit_callbacks(execute=True):  # the task runs inline (eager)
        manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    decided = events(start)
    assert types(decided) == [
        "manual_operation.decided",
        "account.postpay_permission_changed",
        "order.status_changed",
        "subscription.created",
        "order.status_changed",
    ]
    assert decided[0].data["manual_operation"]["decided_by"] == "max"
    assert (decided[1].data["from"], decided[1].data["account"]["postpay_permission"]) == ("under_review", "approved")
    assert (decided[2].data["from"], decided[2].data["order"]["status"]) == ("waiting_for_approval", "provisioning")
    assert decided[2].data["order"]["approved_by"] == "max"
    order.refresh_from_db()
    assert decided[3].data["subscription"]["id"] == order.subscription_id
    assert (decided[4].data["from"], decided[4].data["order"]["status"]) == ("provisioning", "completed")
    assert decided[4].data["order"]["subscription"] == order.subscription_id
    # As of the change: the first order event still says what was true then.
    assert Event.objects.get(pk=created.pk).data["order"]["status"] == "waiting_for_approval"


def test_r34_events_carry_the_true_status_of_a_decline_never_the_customers_mask(
    manual_mode, customer_alice, postpaid_plan, manager_max
):
    order = place(customer_alice, postpaid_plan)
    start = last_id()
    manual_operation_decline(actor=manager_max, operation_id=order.manual_operation.pk, reason="credit_risk")
    decided = events(start)
    assert types(decided) == ["manual_operation.decided", "account.postpay_permission_changed", "order.status_changed"]
    assert decided[0].data["manual_operation"]["reason"] == "credit_risk"
    assert decided[1].data["account"]["postpay_permission"] == "declined"
    assert decided[2].data["order"]["status"] == "provisioning_failed"
    assert decided[2].data["order"]["failure_reason"] == "postpay_declined"


def test_r34_a_refused_order_appends_no_event_and_no_delivery(manual_mode, customer_alice, postpaid_plan, endpoint):
    place(customer_alice, postpaid_plan)  # held: the account is under review now
    before = (Event.objects.count(), WebhookDelivery.objects.count())
    with pytest.raises(PostpayUnderReview):
        place(customer_alice, postpaid_plan)
    assert (Event.objects.count(), WebhookDelivery.objects.count()) == before


def test_r34_a_rolled_back_change_appends_no_event_and_enqueues_nothing(
    customer_alice, postpaid_plan, endpoint, django_capture_on_commit_callbacks
):
    with mock.patch("events.tasks.deliver_webhook_task.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                place(customer_alice, postpaid_plan)
                assert Event.objects.filter(type="order.created").count() == 1  # written inside
                raise RuntimeError("something later in the request failed")
    assert Event.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    assert callbacks == []
    send.assert_not_called()


def test_r34_deliveries_are_created_with_the_event_and_enqueued_only_after_commit(
    customer_alice, postpaid_plan, endpoint, django_capture_on_commit_callbacks
):
    with mock.patch("events.tasks.deliver_webhook_task.apply_async") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            order = place(customer_alice, postpaid_plan)
            delivery = WebhookDelivery.objects.get(event__type="order.created")
            assert delivery.status == DeliveryStatus.PENDING
            assert delivery.event.object_id == order.pk
        send.assert_not_called()  # nothing reaches the broker inside the transaction
        for callback in callbacks:
            callback()
    sent = [call.args[0] for call in send.call_args_list]
    assert (delivery.pk,) in sent
    assert all(call.kwargs["retry"] is False for call in send.call_args_list)


def test_r34_deliveries_go_to_active_endpoints_subscribed_to_the_type(
    allow_loopback, receiver, customer_alice, postpaid_plan
):
    everything = webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    orders_only = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.status_changed"])
    inactive = webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    webhook_endpoint_update(actor=None, endpoint_id=inactive.pk, active=False)
    place(customer_alice, postpaid_plan)  # automatic mode: order.created only
    event = Event.objects.get()
    assert event.type == "order.created"
    assert set(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == {everything.pk}
    assert not orders_only.deliveries.exists() and not inactive.deliveries.exists()


def test_r34_an_account_created_at_none_publishes_nothing_a_preapproved_one_its_change(manager_max):
    account_create(actor=manager_max, name="Plain")
    assert Event.objects.count() == 0
    account = account_create(actor=manager_max, name="Trusted", preapproved=True)
    [event] = events()
    assert event.type == "account.postpay_permission_changed"
    assert event.data == {"account": event.data["account"], "from": "none"}
    assert event.data["account"]["id"] == account.pk
    assert event.data["account"]["postpay_permission"] == "approved"


def test_r34_an_override_to_the_same_status_is_no_change_and_no_event(alice_account):
    account_postpay_override(actor=None, account_id=alice_account.pk, to="none", reason="ticket 1")
    assert Event.objects.count() == 0
    account_postpay_override(actor=None, account_id=alice_account.pk, to="approved", reason="ticket 2")
    assert types(events()) == ["account.postpay_permission_changed"]


def test_r34_one_settings_change_is_one_event_even_when_both_fields_change(manager_max):
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual", trial_requires_approval=True)
    [event] = events()
    assert event.type == "postpay_settings.changed"
    assert event.data == {
        "postpay_settings": {"postpaid_permission_mode": "manual", "trial_requires_approval": True},
        "from": {"postpaid_permission_mode": "automatic", "trial_requires_approval": False},
    }
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")  # no change
    assert Event.objects.count() == 1
    postpay_settings_update(actor=manager_max, trial_requires_approval=False)
    assert events()[-1].data["from"] == {"postpaid_permission_mode": "manual", "trial_requires_approval": True}


def test_r34_a_renewal_publishes_subscription_updated(
    customer_alice, postpaid_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = place(customer_alice, postpaid_plan)
    order.refresh_from_db()
    start = last_id()
    with django_capture_on_commit_callbacks(execute=True):
        subscription_renew(actor=customer_alice, subscription_id=order.subscription_id)
    assert types(events(start)) == ["order.created", "subscription.updated", "order.status_changed"]
    assert events(start)[1].data["subscription"]["id"] == order.subscription_id


def test_r34_event_ids_are_unique_prefixed_and_sort_in_the_order_they_were_written():
    ids = [new_event_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"evt_[0-9A-HJKMNP-TV-Z]{26}", i) for i in ids)


@pytest.mark.parametrize("subscribed", [False, True])
def test_r34_the_outbox_adds_few_queries_to_order_placement(
    subscribed, allow_loopback, receiver, customer_alice, postpaid_plan
):
    """Order placement is measured (bench/bench_webhooks.py): the event costs one insert,
    the endpoints one select, the deliveries one insert when an endpoint subscribes."""
    place(customer_alice, postpaid_plan)  # warm: the settings row exists
    if subscribed:
        webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    with CaptureQueriesContext(connection) as ctx:
        place(customer_alice, postpaid_plan)
    outbox = [q["sql"] for q in ctx.captured_queries if '"events_' in q["sql"]]
    assert len(outbox) == (3 if subscribed else 2), outbox


def test_r34_a_decision_reads_the_endpoints_once_for_its_three_events(
    allow_loopback, receiver, manual_mode, customer_alice, postpaid_plan, manager_max
):
    """A decision publishes the operation, the account and the order; its unit of work reads
    the active endpoints once when it writes them, and each event still gets its delivery."""
    webhook_endpoint_create(actor=None, url=receiver.url, events=["*"])
    order = place(customer_alice, postpaid_plan)
    placed = set(WebhookDelivery.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as ctx:
        manual_operation_approve(actor=manager_max, operation_id=order.manual_operation.pk)
    selects = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "events_webhookendpoint"' in q["sql"]
    ]
    assert len(selects) == 1, selects
    inserts = [q for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "events_webhookdelivery"')]
    assert len(inserts) == 1  # the unit of work writes its deliveries together
    decided = WebhookDelivery.objects.exclude(pk__in=placed)
    assert sorted(decided.values_list("event__type", flat=True)) == [
        "account.postpay_permission_changed",
        "manual_operation.decided",
        "order.status_changed",
    ]


def test_r34_an_endpoint_created_in_the_transaction_gets_the_events_after_it(
    allow_loopback, receiver, customer_alice, postpaid_plan
):
    place(customer_alice, postpaid_plan)  # the endpoints (none) are read in this transaction
    endpoint = webhook_endpoint_create(actor=None, url=receiver.url, events=["order.created"])
    order = place(customer_alice, postpaid_plan)
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event__object_id=order.pk).count() == 1
