"""Orders: list, detail with the customer's labels (R24), cancel (R25), 404 (R31)."""

import pytest

from audit.models import AuditLogEntry
from subscriptions.models import OrderStatus
from subscriptions.services import order_fail_provisioning, order_pay
from subscriptions.visibility import CUSTOMER_PROVISIONING_FAILED_TEXT
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db


def _status_label(client, order):
    response = client.get(f"/portal/orders/{order.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_order_list_shows_the_account_orders_newest_first(alice_client, customer_alice, prepaid_plan):
    first = place_committed(customer_alice, prepaid_plan)
    second = place_committed(customer_alice, prepaid_plan)
    response = alice_client.get("/portal/orders/")
    assert [order.pk for order in response.context["page"]] == [second.pk, first.pk]
    assert "Waiting for payment" in response.content.decode()


def test_r24_order_list_never_shows_another_account_orders(alice_client, outsider_oscar, prepaid_plan):
    oscar_order = place_committed(outsider_oscar, prepaid_plan)
    response = alice_client.get("/portal/orders/")
    assert list(response.context["page"]) == []
    assert f"/portal/orders/{oscar_order.pk}/" not in response.content.decode()


def test_r24_held_order_reads_under_review(alice_client, held_order):
    html = _status_label(alice_client, held_order)
    assert "Under review" in html
    assert "Waiting for approval" not in html
    assert "Under review" in alice_client.get("/portal/orders/").content.decode()


def test_r24_held_order_still_reads_under_review_in_automatic_mode(alice_client, held_order):
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, postpaid_permission_mode="automatic")
    assert "Under review" in _status_label(alice_client, held_order)


def test_r24_order_failed_by_a_decline_reads_under_review(alice_client, held_order, decide):
    order = decide(held_order, approve=False)
    assert order.status == OrderStatus.PROVISIONING_FAILED
    html = _status_label(alice_client, order)
    assert "Under review" in html
    assert "Provisioning failed" not in html
    assert "Problem" not in html


def test_r15_approved_order_completes_and_links_its_subscription(alice_client, held_order, decide):
    order = decide(held_order, approve=True)
    html = _status_label(alice_client, order)
    assert "Completed" in html
    assert f"/portal/subscriptions/{order.subscription_id}/" in html


def test_r22_a_real_provisioning_failure_shows_a_plain_sentence_never_the_internal_error(
    alice_client, customer_alice, prepaid_plan, staff_sam
):
    """Finding 7: the stored error may carry host names or provisioner internals."""
    order = place_committed(customer_alice, prepaid_plan)
    order_pay(actor=staff_sam, order_id=order.pk)  # its task is not run: the order stays provisioning
    order_fail_provisioning(order_id=order.pk, error="ProvisionerError: tenant-7 refused by db3.internal:5432")
    html = _status_label(alice_client, order)
    assert "Provisioning failed" in html
    assert CUSTOMER_PROVISIONING_FAILED_TEXT in html
    assert "db3.internal" not in html and "ProvisionerError" not in html


def test_r25_customer_cancels_an_order_waiting_for_payment(alice_client, customer_alice, prepaid_plan):
    order = place_committed(customer_alice, prepaid_plan)
    assert "Cancel this order" in _status_label(alice_client, order)
    response = alice_client.post(f"/portal/orders/{order.pk}/cancel/", follow=True)
    assert response.redirect_chain == [(f"/portal/orders/{order.pk}/", 302)]
    assert f"Order #{order.pk} was cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_r25_held_order_cannot_be_cancelled_by_the_customer(alice_client, held_order):
    assert "Cancel this order" not in _status_label(alice_client, held_order)
    entries = AuditLogEntry.objects.count()
    response = alice_client.post(f"/portal/orders/{held_order.pk}/cancel/", follow=True)
    assert "Only an order waiting for payment can be cancelled." in response.content.decode()
    held_order.refresh_from_db()
    assert held_order.status == OrderStatus.WAITING_FOR_APPROVAL
    assert AuditLogEntry.objects.count() == entries


def test_r31_another_account_order_is_404_like_a_missing_one(alice_client, outsider_oscar, prepaid_plan):
    oscar_order = place_committed(outsider_oscar, prepaid_plan)
    assert alice_client.get(f"/portal/orders/{oscar_order.pk}/").status_code == 404
    assert alice_client.get("/portal/orders/999999/").status_code == 404
    assert alice_client.post(f"/portal/orders/{oscar_order.pk}/cancel/").status_code == 404
    assert alice_client.post("/portal/orders/999999/cancel/").status_code == 404
    oscar_order.refresh_from_db()
    assert oscar_order.status == OrderStatus.WAITING_FOR_PAYMENT


def test_cancel_needs_a_post(alice_client, customer_alice, prepaid_plan):
    order = place_committed(customer_alice, prepaid_plan)
    assert alice_client.get(f"/portal/orders/{order.pk}/cancel/").status_code == 405
    order.refresh_from_db()
    assert order.status == OrderStatus.WAITING_FOR_PAYMENT
