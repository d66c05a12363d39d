"""R36: review before the order — a customer asks in advance (a), a manager approves in
advance (b), through the services and the REST API; R12 under concurrency."""

import pytest
from django.core import mail

from accounts.models import Account, PostpayPermission
from audit.models import AuditLogEntry
from manual_operations.models import ManualOperation, OperationOrigin, OperationStatus
from manual_operations.services import (
    manual_operation_approve,
    manual_operation_approve_in_advance,
    manual_operation_ask_in_advance,
    manual_operation_decline,
)
from postpay_portal.errors import DomainError
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus
from tests.concurrency import run_together
from tests.support.actions import place
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


def refusal(call):
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def permission(account):
    return Account.objects.get(pk=account.pk).postpay_permission


def trail(object_type, object_id):
    return [
        (e.from_value, e.to_value, e.actor_label)
        for e in AuditLogEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("id")
    ]


# --- R36a: a customer asks in advance ---------------------------------------------------------


def test_r36a_asking_in_advance_puts_the_account_under_review_with_an_operation_and_no_order(
    manual_mode, customer_alice, manager_max, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id)
    account = customer_alice.account
    assert permission(account) == PostpayPermission.UNDER_REVIEW
    operation = ManualOperation.objects.get(account=account)
    assert (operation.status, operation.order, operation.origin, operation.requested_by) == (
        OperationStatus.APPROVAL_REQUIRED,
        None,
        OperationOrigin.ASKED_IN_ADVANCE,
        customer_alice,
    )
    assert "asked in advance by alice" in operation.description
    assert Order.objects.count() == 0
    assert trail("account", account.pk)[-1] == ("none", "under_review", "alice")  # R29
    assert trail("manual_operation", operation.pk) == [(None, "approval_required", "alice")]
    notice = [m for m in mail.outbox if manager_max.email in m.to]  # R19
    assert len(notice) == 1 and "asked for postpaid ordering" in notice[0].subject


@pytest.mark.parametrize(
    "setup, code",
    [
        ("automatic", "postpay_review_not_needed"),
        ("approved", "postpay_review_not_needed"),
        ("under_review", "postpay_under_review"),
        ("declined", "postpay_under_review"),  # R6: a decline reads as under review
    ],
)
def test_r36a_asking_is_refused_with_its_code_and_changes_nothing(
    customer_alice, postpaid_plan, manager_max, setup, code
):
    if setup != "automatic":
        postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    if setup == "approved":
        manual_operation_approve_in_advance(actor=manager_max, account_id=customer_alice.account_id)
    if setup in ("under_review", "declined"):
        held = place(customer_alice, postpaid_plan)
        if setup == "declined":
            manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="other")
    before = (snapshot(), AuditLogEntry.objects.count())
    assert (
        refusal(lambda: manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id))
        == code
    )
    assert (snapshot(), AuditLogEntry.objects.count()) == before


def test_r36a_only_the_accounts_own_customer_may_ask(manual_mode, customer_alice, outsider_oscar, staff_sam):
    before = snapshot()
    for actor in (outsider_oscar, staff_sam):
        assert (
            refusal(
                lambda actor=actor: manual_operation_ask_in_advance(actor=actor, account_id=customer_alice.account_id)
            )
            == "permission_denied"
        )
    assert snapshot() == before


def test_r36a_r10_after_asking_a_gated_order_is_refused_and_an_approval_lets_it_through(
    manual_mode, customer_alice, manager_max, postpaid_plan, prepaid_plan
):
    manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id)
    assert refusal(lambda: place(customer_alice, postpaid_plan)) == "postpay_under_review"
    assert place(customer_alice, prepaid_plan, "trial").status == OrderStatus.PROVISIONING  # prepaid: never gated
    operation = ManualOperation.objects.get(account=customer_alice.account)
    manual_operation_approve(actor=manager_max, operation_id=operation.pk, note="known")
    assert permission(customer_alice.account) == PostpayPermission.APPROVED
    assert place(customer_alice, postpaid_plan).status == OrderStatus.PROVISIONING  # R11
    assert ManualOperation.objects.count() == 1


def test_r36a_r16_declining_a_review_asked_in_advance_declines_the_account_and_fails_no_order(
    manual_mode, customer_alice, manager_max, prepaid_plan
):
    trial = place(customer_alice, prepaid_plan, "trial")
    manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id)
    operation = ManualOperation.objects.get(account=customer_alice.account)
    manual_operation_decline(actor=manager_max, operation_id=operation.pk, reason="credit_risk")
    assert permission(customer_alice.account) == PostpayPermission.DECLINED
    assert Order.objects.get(pk=trial.pk).status == trial.status
    assert trail("manual_operation", operation.pk)[-1] == ("approval_required", "declined", "max")


# --- R36b: a manager approves in advance ------------------------------------------------------


@pytest.mark.parametrize("mode", ["automatic", "manual"])
def test_r36b_approving_in_advance_approves_the_account_with_an_approved_operation_and_no_order(
    customer_alice, manager_max, mode, django_capture_on_commit_callbacks
):
    postpay_settings_update(actor=None, postpaid_permission_mode=mode)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve_in_advance(
            actor=manager_max, account_id=customer_alice.account_id, note="existing customer since 2019"
        )
    account = customer_alice.account
    assert permission(account) == PostpayPermission.APPROVED
    operation = ManualOperation.objects.get(account=account)
    assert (operation.status, operation.order, operation.origin, operation.decided_by, operation.note) == (
        OperationStatus.APPROVED,
        None,
        OperationOrigin.APPROVED_IN_ADVANCE,
        manager_max,
        "existing customer since 2019",
    )
    assert "approved in advance by max" in operation.description
    assert trail("manual_operation", operation.pk) == [
        (None, "approval_required", "max"),
        ("approval_required", "approved", "max"),
    ]  # R29
    assert trail("account", account.pk)[-1] == ("none", "approved", "max")
    assert mail.outbox == []  # already decided: nothing waits for a manager


@pytest.mark.parametrize(
    "setup, code",
    [
        ("under_review", "postpay_under_review"),
        ("declined", "postpay_declined"),
        ("approved", "postpay_review_not_needed"),
    ],
)
def test_r36b_approving_in_advance_changes_only_none_accounts(customer_alice, manager_max, postpaid_plan, setup, code):
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    if setup == "approved":
        manual_operation_approve_in_advance(actor=manager_max, account_id=customer_alice.account_id)
    else:
        held = place(customer_alice, postpaid_plan)
        if setup == "declined":
            manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="other")
    before = (snapshot(), AuditLogEntry.objects.count())
    assert (
        refusal(lambda: manual_operation_approve_in_advance(actor=manager_max, account_id=customer_alice.account_id))
        == code
    )
    assert (snapshot(), AuditLogEntry.objects.count()) == before


def test_r36b_only_a_manager_approves_in_advance(customer_alice, staff_sam):
    before = snapshot()
    for actor in (staff_sam, customer_alice):
        assert (
            refusal(
                lambda actor=actor: manual_operation_approve_in_advance(
                    actor=actor, account_id=customer_alice.account_id
                )
            )
            == "permission_denied"
        )
    assert refusal(lambda: manual_operation_approve_in_advance(actor=None, account_id=1)) == "permission_denied"
    assert snapshot() == before


def test_r36b_r9_a_none_account_with_postpaid_subscriptions_approved_before_the_switch_is_not_held(
    customer_alice, manager_max, postpaid_plan, django_capture_on_commit_callbacks
):
    """The reason for R36b: without it, the first renewal after the switch is held (R9)."""
    from subscriptions.services import subscription_renew

    with django_capture_on_commit_callbacks(execute=True):
        bought = place(customer_alice, postpaid_plan)
    bought.refresh_from_db()
    manual_operation_approve_in_advance(actor=manager_max, account_id=customer_alice.account_id)
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="manual")
    renewal = subscription_renew(actor=customer_alice, subscription_id=bought.subscription_id)
    assert renewal.status == OrderStatus.PROVISIONING


# --- R12 under concurrency -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_r36a_r12_asking_in_advance_while_a_first_gated_order_arrives_leaves_one_open_operation(
    manual_mode, customer_alice, postpaid_plan
):
    def act(i):
        if i % 2:
            return manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id).pk
        return place(customer_alice, postpaid_plan).status

    outcomes = run_together(10, act)
    assert sum(1 for kind, _ in outcomes if kind == "ok") == 1, outcomes
    assert sorted({value for kind, value in outcomes if kind == "refused"}) == ["postpay_under_review"]
    assert ManualOperation.objects.filter(status=OperationStatus.APPROVAL_REQUIRED).count() == 1
    assert ManualOperation.objects.count() == 1
    assert Order.objects.filter(status=OrderStatus.WAITING_FOR_APPROVAL).count() <= 1


def test_r34_r36_reviews_in_advance_publish_their_changes_as_events(manual_mode, customer_alice, manager_max):
    """The outbox sees the new paths too: the operation (with no order) and the account."""
    from events.models import Event
    from tests.factories import AccountFactory

    def new_events(action):
        seen = set(Event.objects.values_list("id", flat=True))
        action()
        return [(e.type, e.data) for e in Event.objects.exclude(id__in=seen).order_by("id")]

    asked = new_events(
        lambda: manual_operation_ask_in_advance(actor=customer_alice, account_id=customer_alice.account_id)
    )
    assert [(kind, data.get("from")) for kind, data in asked] == [
        ("account.postpay_permission_changed", "none"),
        ("manual_operation.created", None),
    ]
    assert asked[1][1]["manual_operation"]["order"] is None
    other = AccountFactory(name="Other Co")
    approved = new_events(lambda: manual_operation_approve_in_advance(actor=manager_max, account_id=other.pk))
    assert [kind for kind, _ in approved] == [
        "manual_operation.created",
        "manual_operation.decided",
        "account.postpay_permission_changed",
    ]
    assert approved[1][1]["manual_operation"]["decided_by"] == "max"
    assert approved[2][1]["account"]["postpay_permission"] == "approved"
