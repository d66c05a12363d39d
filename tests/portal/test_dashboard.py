"""Dashboard and the banner of R27 (R6: the same words for under review and declined)."""

import pytest

from accounts.visibility import CUSTOMER_UNDER_REVIEW_TEXT
from settings_app.services import postpay_settings_update

pytestmark = pytest.mark.django_db

PAGES = ["/portal/", "/portal/catalog/", "/portal/orders/", "/portal/subscriptions/", "/portal/password/"]


def _banner_shown(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return CUSTOMER_UNDER_REVIEW_TEXT in response.content.decode()


def test_dashboard_shows_the_account_its_subscriptions_and_latest_orders(alice_client, alice_subscription):
    response = alice_client.get("/portal/")
    html = response.content.decode()
    assert "Alice Ltd" in html
    assert f"/portal/subscriptions/{alice_subscription.pk}/" in html
    assert f"/portal/orders/{alice_subscription.origin_order_id}/" in html
    assert [s.pk for s in response.context["subscriptions"]] == [alice_subscription.pk]


def test_dashboard_of_an_account_without_anything_yet(alice_client):
    html = alice_client.get("/portal/").content.decode()
    assert "No subscriptions yet." in html
    assert "No orders yet." in html


def test_r27_no_banner_for_an_account_in_verification_not_performed(alice_client, manual_mode):
    assert not any(_banner_shown(alice_client, url) for url in PAGES)


def test_r27_banner_on_every_page_while_under_review_in_manual_mode(alice_client, held_order):
    for url in PAGES + [f"/portal/orders/{held_order.pk}/"]:
        assert _banner_shown(alice_client, url), url


def test_r6_r27_declined_account_sees_exactly_the_under_review_banner(alice_client, held_order, decide):
    under_review_page = alice_client.get("/portal/").content.decode()
    decide(held_order, approve=False)
    declined_page = alice_client.get("/portal/").content.decode()
    assert CUSTOMER_UNDER_REVIEW_TEXT in declined_page
    banner = under_review_page[under_review_page.index('<div class="banner"') :].split("</div></div>")[0]
    assert banner in declined_page


def test_r27_no_banner_in_automatic_mode_even_when_declined(alice_client, held_order, decide):
    decide(held_order, approve=False)
    postpay_settings_update(actor=None, postpaid_permission_mode="automatic")
    assert not any(_banner_shown(alice_client, url) for url in PAGES)


def test_r6_approved_account_reads_postpaid_ordering_enabled(alice_client, held_order, decide):
    decide(held_order, approve=True)
    html = alice_client.get("/portal/").content.decode()
    assert "Postpaid ordering enabled" in html
    assert CUSTOMER_UNDER_REVIEW_TEXT not in html
