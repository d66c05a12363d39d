"""What a customer reads of money: every price with the installation's currency (CONTRACT §2),
and, while an order waits for payment (R21), the operators' payment instructions."""

import pytest

from settings_app.services import postpay_settings_update
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "Pay by bank transfer to IBAN DE02 1203 0000 0000 2020 51; quote the order number."


@pytest.fixture
def instructions(db):
    postpay_settings_update(actor=None, payment_instructions=INSTRUCTIONS)
    return INSTRUCTIONS


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_r21_an_order_waiting_for_payment_says_how_to_pay(alice_client, customer_alice, prepaid_plan, instructions):
    order = place_committed(customer_alice, prepaid_plan)
    html = page(alice_client, f"/portal/orders/{order.pk}/")
    assert '<div class="instructions" id="payment-instructions"><h2>How to pay</h2>' in html
    assert INSTRUCTIONS in html
    dashboard = page(alice_client, "/portal/")
    assert 'id="payment-instructions"' in dashboard and INSTRUCTIONS in dashboard
    assert 'href="/portal/orders/?status=waiting_for_payment"' in dashboard


def test_no_instructions_where_nothing_waits_for_payment(alice_client, customer_alice, prepaid_plan, instructions):
    order = place_committed(customer_alice, prepaid_plan, "trial")  # provisions at once (R21)
    assert INSTRUCTIONS not in page(alice_client, f"/portal/orders/{order.pk}/")
    assert INSTRUCTIONS not in page(alice_client, "/portal/")
    waiting = place_committed(customer_alice, prepaid_plan)
    alice_client.post(f"/portal/orders/{waiting.pk}/cancel/")
    assert INSTRUCTIONS not in page(alice_client, "/portal/")
    assert INSTRUCTIONS not in page(alice_client, f"/portal/orders/{waiting.pk}/")


def test_without_instructions_set_the_dashboard_shows_no_empty_box(alice_client, customer_alice, prepaid_plan):
    place_committed(customer_alice, prepaid_plan)
    assert 'id="payment-instructions"' not in page(alice_client, "/portal/")


def test_every_customer_page_shows_prices_with_the_currency(
    alice_client, customer_alice, postpaid_plan, prepaid_plan, settings
):
    settings.POSTPAY_CURRENCY = "EUR"
    order = place_committed(customer_alice, postpaid_plan)
    order.refresh_from_db()
    subscription = order.subscription
    assert '<span class="amount">29.00 EUR</span> per billing period' in page(alice_client, "/portal/catalog/")
    assert "<dt>Price</dt><dd>29.00 EUR</dd>" in page(alice_client, f"/portal/orders/{order.pk}/")
    for url in ("/portal/", "/portal/orders/", "/portal/subscriptions/"):
        assert 'data-label="Price' in page(alice_client, url) and ">29.00 EUR</td>" in page(alice_client, url), url
    detail = page(alice_client, f"/portal/subscriptions/{subscription.pk}/")
    assert "(Postpay, 29.00 EUR per period)" in detail
    assert "Starter — Prepay, 9.90 EUR per period" in detail  # the switch choices
    assert " USD" not in detail
