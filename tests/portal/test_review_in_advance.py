"""R36a in the customer portal: "Ask for postpaid ordering" where postpaid plans are shown,
while the account is not reviewed and the mode is Manually, after a confirmation."""

import pytest

from accounts.models import PostpayPermission
from accounts.visibility import CUSTOMER_UNDER_REVIEW_TEXT
from manual_operations.models import ManualOperation, OperationOrigin

pytestmark = pytest.mark.django_db

OFFER = "Ask for postpaid ordering"


def test_r36a_the_catalog_offers_the_review_while_none_in_manual_mode(alice_client, manual_mode, postpaid_plan):
    html = alice_client.get("/portal/catalog/").content.decode()
    assert OFFER in html and 'href="/portal/postpay-review/"' in html


def test_r36a_no_offer_in_automatic_mode_and_the_page_sends_back(alice_client, postpaid_plan):
    assert OFFER not in alice_client.get("/portal/catalog/").content.decode()
    assert alice_client.get("/portal/postpay-review/")["Location"] == "/portal/catalog/"
    assert alice_client.post("/portal/postpay-review/")["Location"] == "/portal/catalog/"
    assert not ManualOperation.objects.exists()


def test_r36a_the_confirmation_says_what_happens_then_the_portal_reads_under_review(
    alice_client, customer_alice, manual_mode, postpaid_plan
):
    page = alice_client.get("/portal/postpay-review/").content.decode()
    assert "postpaid plans cannot be ordered meanwhile; prepaid plans can" in page
    assert "Ask for the review" in page
    assert not ManualOperation.objects.exists()  # a GET changes nothing
    response = alice_client.post("/portal/postpay-review/", follow=True)
    assert response.redirect_chain == [("/portal/", 302)]
    html = response.content.decode()
    # R27: the banner says it; the message and the account card do not repeat the sentence.
    assert html.count(CUSTOMER_UNDER_REVIEW_TEXT) == 1 and '<div class="banner"' in html
    assert [str(m) for m in response.context["messages"]] == [
        "Thank you: your request was received and we are reviewing your account."
    ]
    operation = ManualOperation.objects.get()
    assert (operation.origin, operation.order, operation.requested_by) == (
        OperationOrigin.ASKED_IN_ADVANCE,
        None,
        customer_alice,
    )
    customer_alice.account.refresh_from_db()
    assert customer_alice.account.postpay_permission == PostpayPermission.UNDER_REVIEW
    catalog = alice_client.get("/portal/catalog/").content.decode()
    assert OFFER not in catalog
    assert catalog.count(f"{CUSTOMER_UNDER_REVIEW_TEXT}.") >= 2  # banner + the disabled postpaid offers


def test_r36a_a_second_request_asks_nothing_more(alice_client, manual_mode):
    alice_client.post("/portal/postpay-review/")
    assert alice_client.post("/portal/postpay-review/")["Location"] == "/portal/catalog/"
    assert ManualOperation.objects.count() == 1
