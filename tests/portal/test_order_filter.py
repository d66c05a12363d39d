"""The orders list's status filter: its choices and its matching are the statuses the customer
is shown (R24, R28; R32: an order failed by a decline is "Under review")."""

import pytest

from subscriptions.models import OrderStatus
from subscriptions.services import order_fail_provisioning, order_pay
from tests.factories import PlanFactory
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db

WORDS = ["waiting_for_payment", "under_review", "provisioning", "failed", "completed", "cancelled"]


def listed(client, **query):
    response = client.get("/portal/orders/", query)
    return response, [order.pk for order in response.context["page"]]


def test_the_filter_offers_the_statuses_in_the_customer_words(alice_client):
    response, _ = listed(alice_client)
    html = response.content.decode()
    choices = list(response.context["filter_form"].fields["status"].choices)
    assert [value for value, _ in choices] == ["", *WORDS]
    assert dict(choices)["under_review"] == "Under review" and dict(choices)["failed"] == "Provisioning failed"
    assert '<select name="status"' in html and 'method="get" action="/portal/orders/"' in html
    assert "Waiting for approval" not in html and "waiting_for_approval" not in html
    assert "provisioning_failed" not in html


def test_r24_each_status_lists_the_orders_shown_with_it(
    alice_client, customer_alice, prepaid_plan, postpaid_plan, staff_sam
):
    waiting = place_committed(customer_alice, prepaid_plan)
    cancelled = place_committed(customer_alice, prepaid_plan)
    alice_client.post(f"/portal/orders/{cancelled.pk}/cancel/")
    completed = place_committed(customer_alice, postpaid_plan, "trial")
    failed = place_committed(customer_alice, PlanFactory(name="Failing", billing_model="prepay", price="1.00"))
    order_pay(actor=staff_sam, order_id=failed.pk)  # its task is not run: it stays provisioning
    order_fail_provisioning(order_id=failed.pk, error="tenant quota reached")
    expected = {
        "waiting_for_payment": [waiting.pk],
        "cancelled": [cancelled.pk],
        "completed": [completed.pk],
        "failed": [failed.pk],
        "under_review": [],
        "provisioning": [],
    }
    for word, pks in expected.items():
        response, shown = listed(alice_client, status=word)
        assert shown == pks, word
        assert f'<option value="{word}" selected>' in response.content.decode()


@pytest.mark.parametrize("decided", ["under_review", "declined"])
def test_r24_r32_an_order_failed_by_a_decline_is_listed_under_review_never_as_failed(
    alice_client, held_order, decide, decided
):
    if decided == "declined":
        assert decide(held_order, approve=False).status == OrderStatus.PROVISIONING_FAILED
    assert listed(alice_client, status="under_review")[1] == [held_order.pk]
    assert listed(alice_client, status="failed")[1] == []
    response, _ = listed(alice_client, status="failed")
    assert "No orders with this status." in response.content.decode()


def test_a_status_that_is_not_offered_is_400_and_lists_every_order(alice_client, customer_alice, prepaid_plan):
    order = place_committed(customer_alice, prepaid_plan)
    for bad in ("waiting_for_approval", "provisioning_failed", "declined"):
        response, shown = listed(alice_client, status=bad)
        assert response.status_code == 400, bad
        assert shown == [order.pk]
        assert "Select a valid choice." in response.content.decode()


def test_the_pages_of_a_filtered_list_keep_the_filter(alice_client, customer_alice, prepaid_plan):
    for _ in range(26):
        place_committed(customer_alice, prepaid_plan)
    response, shown = listed(alice_client, status="waiting_for_payment")
    assert len(shown) == 25
    assert 'href="?status=waiting_for_payment&amp;page=2"' in response.content.decode()
    assert len(listed(alice_client, status="waiting_for_payment", page=2)[1]) == 1
