"""R22, R23: provisioning is idempotent, retried, visible, and recovered by the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from postpay_portal.errors import NotFound, PermissionDenied
from subscriptions.errors import InvalidOrderStatus, OrderInProgress
from subscriptions.models import AttemptOutcome, Order, OrderStatus, ProvisioningAttempt, Subscription
from subscriptions.services import (
    order_cancel,
    order_pay,
    order_provision,
    order_retry_provisioning,
    provisioning_sweep,
    subscription_renew,
    subscription_switch,
)
from subscriptions.tasks import provision_order_task
from tests.factories import PlanFactory
from tests.support.actions import place
from tests.support.state import counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def provisioning_order(customer_alice, postpaid_plan):
    return place(customer_alice, postpaid_plan)


def test_r22_a_message_delivered_three_times_provisions_once(provisioning_order):
    for _ in range(3):
        provision_order_task.apply((provisioning_order.pk,))
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.COMPLETED
    assert Subscription.objects.count() == 1
    assert list(provisioning_order.attempts.values_list("outcome", flat=True)) == [AttemptOutcome.SUCCEEDED]


def test_r22_a_delivery_while_another_holds_the_lease_does_nothing(provisioning_order):
    Order.objects.filter(pk=provisioning_order.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    assert order_provision(order_id=provisioning_order.pk) is None
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.PROVISIONING
    assert Subscription.objects.count() == 0


def test_r22_an_expired_lease_is_taken_over_and_the_lost_attempt_marked(provisioning_order):
    Order.objects.filter(pk=provisioning_order.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    ProvisioningAttempt.objects.create(order=provisioning_order, number=1)  # a worker that died
    order_provision(order_id=provisioning_order.pk)
    outcomes = list(provisioning_order.attempts.values_list("number", "outcome"))
    assert outcomes == [(1, AttemptOutcome.ABANDONED), (2, AttemptOutcome.SUCCEEDED)]
    assert Subscription.objects.count() == 1


def test_r22_transient_errors_are_retried_then_succeed(settings, provisioning_order):
    settings.PROVISIONER = "tests.support.provisioners.FlakyOnce"
    provision_order_task.apply((provisioning_order.pk,))
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.COMPLETED
    assert list(provisioning_order.attempts.values_list("outcome", flat=True)) == ["failed", "succeeded"]
    assert "platform busy" in provisioning_order.attempts.first().error


def test_r22_after_the_last_retry_the_order_fails_with_the_error_kept(settings, provisioning_order):
    settings.PROVISIONER = "tests.support.provisioners.AlwaysTransient"
    settings.PROVISIONING_MAX_RETRIES = 2
    provision_order_task.apply((provisioning_order.pk,))
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.PROVISIONING_FAILED
    assert "platform unavailable" in provisioning_order.failure_reason
    assert provisioning_order.attempts.count() == 3  # first try + 2 retries
    assert Subscription.objects.count() == 0


def test_r22_retry_backoff_grows():
    from subscriptions.tasks import retry_countdown

    assert retry_countdown(0) < retry_countdown(2) < retry_countdown(4)


def test_r22_a_permanent_error_fails_at_once(settings, provisioning_order):
    settings.PROVISIONER = "tests.support.provisioners.Broken"
    provision_order_task.apply((provisioning_order.pk,))
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.PROVISIONING_FAILED
    assert "no platform mapping" in provisioning_order.failure_reason
    assert provisioning_order.attempts.count() == 1


def test_r22_operators_can_retry_a_failed_provisioning(
    settings, provisioning_order, staff_sam, customer_alice, django_capture_on_commit_callbacks
):
    settings.PROVISIONER = "tests.support.provisioners.Broken"
    provision_order_task.apply((provisioning_order.pk,))
    settings.PROVISIONER = "subscriptions.provisioners.LocalProvisioner"
    with pytest.raises(PermissionDenied) as exc:
        order_retry_provisioning(actor=customer_alice, order_id=provisioning_order.pk)
    assert exc.value.code == "permission_denied"
    with django_capture_on_commit_callbacks(execute=True):
        order_retry_provisioning(actor=staff_sam, order_id=provisioning_order.pk)
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.COMPLETED
    assert provisioning_order.failure_reason == ""
    assert provisioning_order.attempts.count() == 2


def test_r22_r16_an_order_failed_by_a_decline_cannot_be_retried(
    manual_mode, customer_alice, postpaid_plan, manager_max, staff_sam
):
    from manual_operations.services import manual_operation_decline

    order = place(customer_alice, postpaid_plan)
    manual_operation_decline(actor=manager_max, operation_id=order.manual_operation.pk, reason="other")
    with pytest.raises(InvalidOrderStatus) as exc:
        order_retry_provisioning(actor=staff_sam, order_id=order.pk)
    assert exc.value.code == "invalid_order_status"
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING_FAILED


def test_r22_too_many_attempts_fail_the_order(settings, provisioning_order):
    settings.PROVISIONING_MAX_ATTEMPTS = 2
    for number in (1, 2):
        ProvisioningAttempt.objects.create(order=provisioning_order, number=number)
    order_provision(order_id=provisioning_order.pk)
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.PROVISIONING_FAILED
    assert "gave up after 2 attempts" in provisioning_order.failure_reason


def test_r22_sweep_re_enqueues_only_orders_left_in_provisioning(
    settings, customer_alice, postpaid_plan, django_capture_on_commit_callbacks
):
    settings.PROVISIONING_SWEEP_AFTER_SECONDS = 60
    stuck = place(customer_alice, postpaid_plan)
    fresh = place(customer_alice, postpaid_plan)
    leased = place(customer_alice, postpaid_plan)
    old = timezone.now() - timedelta(minutes=5)
    Order.objects.filter(pk__in=[stuck.pk, leased.pk]).update(enqueued_at=old)
    Order.objects.filter(pk=leased.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        swept = provisioning_sweep()
    assert swept == [stuck.pk]
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[stuck.pk] == OrderStatus.COMPLETED
    assert statuses[fresh.pk] == statuses[leased.pk] == OrderStatus.PROVISIONING
    assert provisioning_sweep() == []  # re-enqueued orders wait a full delay again


def test_r22_sweep_does_not_touch_other_statuses(settings, customer_alice, prepaid_plan):
    order = place(customer_alice, prepaid_plan)
    Order.objects.filter(pk=order.pk).update(enqueued_at=timezone.now() - timedelta(days=1))
    assert provisioning_sweep() == []


def test_r21_pay_moves_a_prepaid_order_to_provisioning(
    customer_alice, staff_sam, prepaid_plan, django_capture_on_commit_callbacks
):
    order = place(customer_alice, prepaid_plan)
    with pytest.raises(PermissionDenied) as exc:
        order_pay(actor=customer_alice, order_id=order.pk)
    assert exc.value.code == "permission_denied"
    with django_capture_on_commit_callbacks(execute=True):
        order_pay(actor=staff_sam, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    with pytest.raises(InvalidOrderStatus) as exc:
        order_pay(actor=staff_sam, order_id=order.pk)
    assert exc.value.code == "invalid_order_status"


def test_r25_customer_cancels_an_order_waiting_for_payment(customer_alice, prepaid_plan):
    order = place(customer_alice, prepaid_plan)
    order_cancel(actor=customer_alice, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_r25_a_held_order_cannot_be_cancelled(manual_mode, customer_alice, postpaid_plan):
    order = place(customer_alice, postpaid_plan)
    with pytest.raises(InvalidOrderStatus) as exc:
        order_cancel(actor=customer_alice, order_id=order.pk)
    assert exc.value.code == "invalid_order_status"
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL


def test_r31_another_accounts_order_is_not_found(customer_alice, outsider_oscar, prepaid_plan):
    order = place(customer_alice, prepaid_plan)
    with pytest.raises(NotFound) as exc:
        order_cancel(actor=outsider_oscar, order_id=order.pk)
    assert exc.value.code == "not_found"
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_FOR_PAYMENT


def _active_subscription(customer, plan, period="commercial"):
    order = place(customer, plan, period=period)
    order_provision(order_id=order.pk)
    return Subscription.objects.get(origin_order=order)


def test_r23_new_creates_renewal_extends_switch_changes_plan(customer_alice, postpaid_plan):
    subscription = _active_subscription(customer_alice, postpaid_plan)
    end = subscription.current_period_end
    renewal = subscription_renew(actor=customer_alice, subscription_id=subscription.pk)
    order_provision(order_id=renewal.pk)
    subscription.refresh_from_db()
    assert subscription.current_period_end == end + timedelta(days=30)
    other_plan = PlanFactory(billing_model="postpay")
    switch = subscription_switch(actor=customer_alice, subscription_id=subscription.pk, plan_id=other_plan.pk)
    order_provision(order_id=switch.pk)
    subscription.refresh_from_db()
    assert subscription.plan == other_plan
    assert Subscription.objects.count() == 1
    assert sorted(o.type for o in subscription.orders.all()) == ["new", "renewal", "switch"]


def test_r23_one_open_order_per_subscription(customer_alice, postpaid_plan, prepaid_plan):
    subscription = _active_subscription(customer_alice, postpaid_plan)
    subscription_switch(actor=customer_alice, subscription_id=subscription.pk, plan_id=prepaid_plan.pk)
    before = counts()
    for attempt in (
        lambda: subscription_renew(actor=customer_alice, subscription_id=subscription.pk),
        lambda: subscription_switch(actor=customer_alice, subscription_id=subscription.pk, plan_id=postpaid_plan.pk),
    ):
        with pytest.raises(OrderInProgress) as exc:
            attempt()
        assert exc.value.code == "order_in_progress"
    assert counts() == before


def test_r23_an_account_may_hold_several_subscriptions_of_one_plan(customer_alice, postpaid_plan):
    _active_subscription(customer_alice, postpaid_plan)
    _active_subscription(customer_alice, postpaid_plan)
    assert Subscription.objects.filter(account=customer_alice.account, plan=postpaid_plan).count() == 2


def test_r23_trial_subscription_lasts_the_plans_trial(customer_alice, postpaid_plan):
    subscription = _active_subscription(customer_alice, postpaid_plan, period="trial")
    length = subscription.current_period_end - subscription.started_at
    assert timedelta(days=29) < length <= timedelta(days=30)
    assert subscription.period == "trial"


def test_r22_a_delivery_whose_lease_was_taken_over_does_nothing_and_reads_as_lost(monkeypatch, provisioning_order):
    """Delivery 1 claims, its lease expires, delivery 2 claims; when delivery 1 goes on to
    provision, the claim token tells it the work is no longer its own."""
    from subscriptions.services import provisioning

    real_claim = provisioning._claim
    claims = []

    def claim_then_lose_the_lease(order_id):
        token, attempt = real_claim(order_id)
        Order.objects.filter(pk=order_id).update(claimed_until=timezone.now() - timedelta(seconds=1))
        claims.append(real_claim(order_id))  # delivery 2 takes the expired lease over
        return token, attempt

    monkeypatch.setattr(provisioning, "_claim", claim_then_lose_the_lease)
    assert order_provision(order_id=provisioning_order.pk) is None
    first = ProvisioningAttempt.objects.get(order=provisioning_order, number=1)
    assert first.outcome == AttemptOutcome.ABANDONED and "lost" in first.error
    assert Subscription.objects.count() == 0
    provisioning_order.refresh_from_db()
    assert provisioning_order.status == OrderStatus.PROVISIONING
    assert provisioning_order.claim_token == claims[0][0]  # delivery 2 still holds the work
