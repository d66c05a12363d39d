"""R14, R15, R18, R36b in bulk: ``manual_operation_approve_many`` and
``manual_operation_approve_in_advance_many`` write what the one-by-one services write, refuse
per item, and append their log in one insert per chunk (``audit.unit_of_work``)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from events.models import Event, WebhookDelivery
from manual_operations.models import ManualOperation, OperationStatus
from manual_operations.services import (
    manual_operation_approve,
    manual_operation_approve_in_advance,
    manual_operation_approve_in_advance_many,
    manual_operation_approve_many,
    manual_operation_ask_in_advance,
    manual_operation_decline,
)
from subscriptions.models import Order
from subscriptions.services.provisioning import enqueue_provisioning_many
from tests.concurrency import run_together
from tests.factories import AccountFactory, CustomerFactory
from tests.support.actions import held_for_new_account
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribed_endpoint(settings):
    """An active endpoint for every type: each event gets its delivery (R34)."""
    from events.services import webhook_endpoint_create

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return webhook_endpoint_create(actor=None, url="http://127.0.0.1:9/hook", events=["*"])


def _held(plan, n, prefix):
    """n accounts, each with a first postpaid order held for review (R9)."""
    return [held_for_new_account(plan, f"{prefix} {i}", username=f"{prefix}{i}") for i in range(n)]


def _asked(n, prefix):
    """n accounts whose customer asked for review in advance (R36a): operations with no order."""
    customers = [
        CustomerFactory(username=f"{prefix}{i}", account=AccountFactory(name=f"{prefix} {i}")) for i in range(n)
    ]
    for customer in customers:
        manual_operation_ask_in_advance(actor=customer, account_id=customer.account_id)
    return [ManualOperation.objects.get(account_id=customer.account_id) for customer in customers]


IDS = re.compile(r"#\d+")
# The two sides' accounts and customers are named "one…"/"bulk…" (and "One …"/"Bulk …").
SIDE = re.compile(r"\b(oneask|bulkask|one|bulk)", re.IGNORECASE)
VOLATILE = {"id", "account", "order", "subscription", "created_at", "decided_at", "updated_at", "enqueued_at"}


def _normalised(value):
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items() if key not in VOLATILE or isinstance(item, dict)}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return SIDE.sub("X", IDS.sub("#N", value)) if isinstance(value, str) else value


def _written(operation):
    """Everything a decision wrote about one operation, its account and its order, with ids,
    names and times taken out: rows, audit trails, events and their deliveries."""
    operation = ManualOperation.objects.get(pk=operation.pk)
    account = Account.objects.get(pk=operation.account_id)
    order = Order.objects.filter(pk=operation.order_id).first()
    objects = [("manual_operation", operation.pk), ("account", account.pk)]
    if order is not None:
        objects.append(("order", order.pk))
    trail = [
        (kind, entry.field, entry.from_value, entry.to_value, _normalised(entry.actor_label), _normalised(entry.reason))
        for kind, pk in objects
        for entry in AuditLogEntry.objects.filter(object_type=kind, object_id=pk).order_by("id")
    ]
    events = [
        (kind, event.type, _normalised(event.data), WebhookDelivery.objects.filter(event=event).count())
        for kind, pk in objects
        for event in Event.objects.filter(object_type=kind, object_id=pk).order_by("id")
    ]
    rows = (
        operation.status,
        operation.decided_by_id,
        operation.note,
        operation.decided_at is not None,
        account.postpay_permission,
        None if order is None else (order.status, order.approved_by_id, order.enqueued_at is not None),
    )
    return rows, trail, events


def test_r15_r18_bulk_approval_writes_exactly_what_approving_one_by_one_writes(
    manual_mode, postpaid_plan, manager_max, subscribed_endpoint, django_capture_on_commit_callbacks
):
    one = _held(postpaid_plan, 3, "one") + _asked(2, "oneask")
    bulk = _held(postpaid_plan, 3, "bulk") + _asked(2, "bulkask")
    one_ops = [item if isinstance(item, ManualOperation) else item.manual_operation for item in one]
    bulk_ops = [item if isinstance(item, ManualOperation) else item.manual_operation for item in bulk]
    with django_capture_on_commit_callbacks():
        for operation in one_ops:
            manual_operation_approve(actor=manager_max, operation_id=operation.pk, note="known")
    with django_capture_on_commit_callbacks() as together:
        done, refused = manual_operation_approve_many(
            actor=manager_max, operation_ids=[op.pk for op in bulk_ops], note="known"
        )
    assert [op.pk for op in done] == [op.pk for op in bulk_ops] and refused == []
    for single, batched in zip(one_ops, bulk_ops, strict=True):
        assert _written(batched) == _written(single)
    assert _written(bulk_ops[0])[0][0] == OperationStatus.APPROVED
    # Handed to the broker after commit, once each: the 3 released orders in one message, and
    # every delivery.
    assert len(together) == 2
    assert [
        callback.items for callback in together if getattr(callback, "func", None) is enqueue_provisioning_many
    ] == [[order.pk for order in bulk[:3]]]


def test_r36b_bulk_approval_in_advance_writes_exactly_what_one_by_one_writes(manager_max, subscribed_endpoint):
    one = [AccountFactory(name=f"One {i}") for i in range(3)]
    bulk = [AccountFactory(name=f"Bulk {i}") for i in range(3)]
    for account in one:
        manual_operation_approve_in_advance(actor=manager_max, account_id=account.pk, note="trusted")
    done, refused = manual_operation_approve_in_advance_many(
        actor=manager_max, account_ids=[a.pk for a in bulk], note="trusted"
    )
    assert [account.pk for account in done] == [account.pk for account in bulk] and refused == []
    for single, batched in zip(one, bulk, strict=True):
        single_op = ManualOperation.objects.get(account=single)
        batched_op = ManualOperation.objects.get(account=batched)
        assert _written(batched_op) == _written(single_op)
    assert Account.objects.get(pk=bulk[0].pk).postpay_permission == PostpayPermission.APPROVED


def test_r14_r18_bulk_approval_refuses_per_item_and_a_refused_item_changes_nothing(
    manual_mode, postpaid_plan, manager_max
):
    first, decided, last = (order.manual_operation for order in _held(postpaid_plan, 3, "mixed"))
    manual_operation_decline(actor=manager_max, operation_id=decided.pk, reason="credit_risk")
    before = _written(decided)
    done, refused = manual_operation_approve_many(
        actor=manager_max, operation_ids=[first.pk, decided.pk, 10**9, last.pk]
    )
    assert [op.pk for op in done] == [first.pk, last.pk]
    assert [(pk, error.code) for pk, error in refused] == [
        (decided.pk, "operation_already_decided"),
        (10**9, "not_found"),
    ]
    assert "declined by max" in refused[0][1].detail
    assert _written(decided) == before  # R14: the decline stands, nothing added
    assert ManualOperation.objects.get(pk=last.pk).status == OperationStatus.APPROVED


def test_r36b_bulk_approval_in_advance_refuses_per_account_by_reason(manual_mode, postpaid_plan, manager_max):
    fresh = AccountFactory(name="Fresh")
    approved = AccountFactory(name="Approved", preapproved=True)
    under_review = _held(postpaid_plan, 1, "review")[0].account
    declined_order = _held(postpaid_plan, 1, "declined")[0]
    manual_operation_decline(actor=manager_max, operation_id=declined_order.manual_operation.pk, reason="credit_risk")
    before = snapshot()
    ids = [approved.pk, under_review.pk, declined_order.account_id, 10**9]
    done, refused = manual_operation_approve_in_advance_many(actor=manager_max, account_ids=ids)
    assert done == []
    assert [(pk, error.code) for pk, error in refused] == [
        (approved.pk, "postpay_review_not_needed"),
        (under_review.pk, "postpay_under_review"),
        (declined_order.account_id, "postpay_declined"),
        (10**9, "not_found"),
    ]
    assert snapshot() == before  # nothing written for a refused account
    done, refused = manual_operation_approve_in_advance_many(actor=manager_max, account_ids=[fresh.pk] + ids)
    assert [account.pk for account in done] == [fresh.pk] and len(refused) == 4


def test_r18_bulk_decisions_are_for_managers_only(manual_mode, postpaid_plan, staff_sam):
    from postpay_portal.errors import PermissionDenied

    operation = _held(postpaid_plan, 1, "perm")[0].manual_operation
    with pytest.raises(PermissionDenied):
        manual_operation_approve_many(actor=staff_sam, operation_ids=[operation.pk])
    with pytest.raises(PermissionDenied):
        manual_operation_approve_in_advance_many(actor=staff_sam, account_ids=[operation.account_id])
    assert ManualOperation.objects.get(pk=operation.pk).is_open


def test_bulk_approval_appends_its_log_in_one_insert_each_and_a_fixed_cost_per_item(
    manual_mode, postpaid_plan, manager_max, subscribed_endpoint
):
    """One chunk: each item's own rows are saved at once (a fixed number of statements an
    item, nothing read per item), and the audit entries, events and deliveries of the whole
    chunk are one INSERT each (decision 119)."""

    def statements(call):
        with CaptureQueriesContext(connection) as queries:
            call()
        return [q["sql"] for q in queries.captured_queries]

    def appends(sql):
        tables = ('"audit_auditlogentry"', '"events_event"', '"events_webhookdelivery"')
        return sorted(table for q in sql if q.startswith("INSERT INTO") for table in tables if table in q.split("(")[0])

    manual_operation_approve_many(actor=manager_max, operation_ids=[])  # the manager's permissions, cached
    sizes = (4, 12, 20)
    held = {n: [order.manual_operation.pk for order in _held(postpaid_plan, n, f"h{n}x")] for n in sizes}
    approvals = {
        n: statements(lambda n=n: manual_operation_approve_many(actor=manager_max, operation_ids=held[n]))
        for n in sizes
    }
    assert all(appends(approvals[n]) == appends(approvals[4]) for n in sizes)
    assert len(appends(approvals[4])) == 3
    assert len(approvals[12]) - len(approvals[4]) == len(approvals[20]) - len(approvals[12])
    per_item = (len(approvals[20]) - len(approvals[4])) / 16
    assert per_item <= 8, approvals[20]
    accounts = {n: [AccountFactory(name=f"A{n} {i}").pk for i in range(n)] for n in sizes}
    in_advance = {
        n: statements(lambda n=n: manual_operation_approve_in_advance_many(actor=manager_max, account_ids=accounts[n]))
        for n in sizes
    }
    assert all(appends(in_advance[n]) == appends(in_advance[4]) for n in sizes)
    assert len(in_advance[12]) - len(in_advance[4]) == len(in_advance[20]) - len(in_advance[12])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r14_two_managers_bulk_approving_overlapping_queues_decide_each_operation_once(
    manual_mode, postpaid_plan, manager_max
):
    """Two bulk actions and single approvals over the same operations at once (PostgreSQL,
    real threads): no deadlock, each operation approved exactly once, every order released
    once."""
    from tests.factories import ManagerFactory

    other = ManagerFactory(username="mia")
    ids = [order.manual_operation.pk for order in _held(postpaid_plan, 12, "race")]

    def act(i):
        if i == 0:
            return len(manual_operation_approve_many(actor=manager_max, operation_ids=ids)[0])
        if i == 1:
            return len(manual_operation_approve_many(actor=other, operation_ids=list(reversed(ids)))[0])
        return manual_operation_approve(actor=other, operation_id=ids[i]).pk

    outcomes = run_together(6, act)
    assert all(kind in ("ok", "refused") for kind, _ in outcomes), outcomes
    assert ManualOperation.objects.filter(pk__in=ids, status=OperationStatus.APPROVED).count() == len(ids)
    decided = AuditLogEntry.objects.filter(object_type="manual_operation", object_id__in=ids, to_value="approved")
    assert decided.count() == len(ids)  # once each
    released = AuditLogEntry.objects.filter(object_type="order", to_value="provisioning")
    assert released.count() == len(ids)
    bulk_done = sum(value for kind, value in outcomes[:2] if kind == "ok")
    singles_done = sum(1 for kind, _ in outcomes[2:] if kind == "ok")
    assert bulk_done + singles_done == len(ids)


def test_r12_r36b_a_conflicting_open_operation_refuses_only_its_account_in_a_bulk(manager_max):
    """R12's constraint is the last guard: should an account at `none` already have an open
    operation (written around the services), the bulk insert fails, and the chunk goes one
    by one so that only that account is refused; the others are approved."""
    first, odd, last = (AccountFactory(name=f"Guard {i}") for i in range(3))
    ManualOperation.objects.create(account_id=odd.pk, description="written around the services")
    odd_trail = AuditLogEntry.objects.filter(object_type="account", object_id=odd.pk).count()
    done, refused = manual_operation_approve_in_advance_many(actor=manager_max, account_ids=[first.pk, odd.pk, last.pk])
    assert [account.pk for account in done] == [first.pk, last.pk]
    assert [(pk, error.code) for pk, error in refused] == [(odd.pk, "postpay_under_review")]
    assert Account.objects.get(pk=odd.pk).postpay_permission == PostpayPermission.NONE
    assert ManualOperation.objects.filter(account_id=odd.pk).count() == 1
    assert Account.objects.get(pk=last.pk).postpay_permission == PostpayPermission.APPROVED
    assert AuditLogEntry.objects.filter(object_type="account", object_id=odd.pk).count() == odd_trail
