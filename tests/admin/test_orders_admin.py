"""Orders, subscriptions and plans in the operator portal: R20–R22."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from manual_operations.models import DeclineReason
from manual_operations.services import manual_operation_approve, manual_operation_decline
from subscriptions.models import Order, OrderStatus, Plan
from subscriptions.services import order_fail_provisioning, order_place

ORDERS = reverse("admin:subscriptions_order_changelist")


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def failed_order(customer_alice, postpaid_plan_no_trial):
    """R22: an order whose provisioning failed for a technical reason (not a decline)."""
    order = order_place(
        actor=customer_alice,
        account_id=customer_alice.account_id,
        plan_id=postpaid_plan_no_trial.pk,
        period="commercial",
    )
    order_fail_provisioning(order_id=order.pk, error="platform unreachable")
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING_FAILED
    return order


@pytest.mark.django_db
def test_r20_order_page_shows_created_by_approved_by_and_attempts(
    admin_client_for, superuser, manager_max, manual_mode, held_operation_for, django_capture_on_commit_callbacks
):
    op = held_operation_for("Shown Co")
    with django_capture_on_commit_callbacks(execute=True):
        manual_operation_approve(actor=manager_max, operation_id=op.pk)
    client = admin_client_for(superuser)

    listing = client.get(ORDERS).content.decode()
    page = client.get(reverse("admin:subscriptions_order_change", args=[op.order_id])).content.decode()

    creator = Order.objects.get(pk=op.order_id).created_by.username
    assert creator in listing and "max" in listing
    assert "Approved by" in page and "max" in page and creator in page
    assert "Attempt" in page or "attempt" in page
    assert "Succeeded" in page  # the provisioning attempt (R22)
    assert f"#{op.pk}" in page  # the manual operation


@pytest.mark.django_db
def test_r22_retry_provisioning_action_retries_a_failed_order(
    admin_client_for, superuser, failed_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for(superuser).post(
            ORDERS, {"action": "retry_provisioning", "_selected_action": [failed_order.pk]}
        )
    assert response.status_code == 302
    assert f"Retried provisioning of 1 order(s): #{failed_order.pk}." in texts(response)
    failed_order.refresh_from_db()
    assert failed_order.status == OrderStatus.COMPLETED
    assert failed_order.attempts.count() == 1


@pytest.mark.django_db
def test_r22_r16_retry_of_an_order_failed_by_a_decline_is_skipped(
    admin_client_for, superuser, manager_max, manual_mode, held_operation_for
):
    op = held_operation_for("Declined Co")
    manual_operation_decline(actor=manager_max, operation_id=op.pk, reason=DeclineReason.CREDIT_RISK)

    response = admin_client_for(superuser).post(
        ORDERS, {"action": "retry_provisioning", "_selected_action": [op.order_id]}
    )

    assert any(m.startswith("Skipped 1 order(s)") for m in texts(response))
    order = Order.objects.get(pk=op.order_id)
    assert (order.status, order.failure_reason) == (OrderStatus.PROVISIONING_FAILED, "postpay_declined")


@pytest.mark.django_db
def test_r21_record_payment_action(admin_client_for, superuser, customer_alice, prepaid_plan):
    order = order_place(
        actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="commercial"
    )
    assert order.status == OrderStatus.WAITING_FOR_PAYMENT
    response = admin_client_for(superuser).post(ORDERS, {"action": "record_payment", "_selected_action": [order.pk]})
    assert f"Recorded payment of 1 order(s): #{order.pk}." in texts(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.PROVISIONING


@pytest.mark.django_db
def test_order_actions_need_the_change_permission(admin_client_for, operator_sam, failed_order):
    client = admin_client_for(operator_sam)
    assert "retry_provisioning" not in client.get(ORDERS).content.decode()
    client.post(ORDERS, {"action": "retry_provisioning", "_selected_action": [failed_order.pk]})
    failed_order.refresh_from_db()
    assert failed_order.status == OrderStatus.PROVISIONING_FAILED


@pytest.mark.django_db
def test_orders_cannot_be_edited_or_added_in_the_portal(admin_client_for, superuser, failed_order):
    client = admin_client_for(superuser)
    url = reverse("admin:subscriptions_order_change", args=[failed_order.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"price": "0.01"})
    failed_order.refresh_from_db()
    assert failed_order.price != 0
    assert client.get(reverse("admin:subscriptions_order_add")).status_code == 403


@pytest.mark.django_db
def test_plan_is_created_through_the_service(admin_client_for, superuser):
    client = admin_client_for(superuser)
    response = client.post(
        reverse("admin:subscriptions_plan_add"),
        {"name": "Pro", "billing_model": "postpay", "price": "12.50", "trial_days": "0"},
    )
    assert response.status_code == 302
    assert Plan.objects.get(name="Pro").is_postpaid
    bad = client.post(
        reverse("admin:subscriptions_plan_add"),
        {"name": "Bad", "billing_model": "barter", "price": "-1", "trial_days": "0"},
    )
    assert bad.status_code == 200 and not Plan.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_subscriptions_list_and_page(admin_client_for, superuser, failed_order, django_capture_on_commit_callbacks):
    from subscriptions.services import order_retry_provisioning

    with django_capture_on_commit_callbacks(execute=True):
        order_retry_provisioning(actor=superuser, order_id=failed_order.pk)
    subscription = Order.objects.get(pk=failed_order.pk).subscription
    client = admin_client_for(superuser)
    assert "Alice Ltd" in client.get(reverse("admin:subscriptions_subscription_changelist")).content.decode()
    assert client.get(reverse("admin:subscriptions_subscription_change", args=[subscription.pk])).status_code == 200


@pytest.mark.django_db
def test_r23_bulk_retry_reports_a_renewal_whose_subscription_is_busy_and_goes_on(
    admin_client_for, superuser, customer_alice, postpaid_plan, failed_order, django_capture_on_commit_callbacks
):
    """Finding 3: the open-order constraint used to abort the action halfway with a 500."""
    from subscriptions.services import subscription_renew

    with django_capture_on_commit_callbacks(execute=True):
        bought = order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=postpaid_plan.pk, period="commercial"
        )
    bought.refresh_from_db()
    renewal = subscription_renew(actor=customer_alice, subscription_id=bought.subscription_id)
    order_fail_provisioning(order_id=renewal.pk, error="platform unreachable")
    subscription_renew(actor=customer_alice, subscription_id=bought.subscription_id)  # open again
    response = admin_client_for(superuser).post(
        ORDERS, {"action": "retry_provisioning", "_selected_action": [renewal.pk, failed_order.pk]}
    )
    assert response.status_code == 302
    messages = texts(response)
    assert f"Retried provisioning of 1 order(s): #{failed_order.pk}." in messages
    assert f"Skipped 1 order(s): #{renewal.pk}: This subscription already has an order in progress." in messages
    assert Order.objects.get(pk=renewal.pk).status == OrderStatus.PROVISIONING_FAILED
