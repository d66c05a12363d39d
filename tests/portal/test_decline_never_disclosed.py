"""R6, R16, R24: the decline is never disclosed to the customer.

For a declined account, every portal page (and every outcome message a customer can
trigger) and every e-mail the customer receives is searched for the word, the internal
reasons and the order's stored failure reason.
"""

import re

import pytest
from django.core import mail

from accounts.models import PostpayPermission
from accounts.visibility import CUSTOMER_UNDER_REVIEW_TEXT
from manual_operations.models import DeclineReason
from settings_app.services import postpay_settings_update
from subscriptions.models import ORDER_FAILED_BY_DECLINE
from subscriptions.notifications import customer_recipients
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db

INTERNAL_NOTE = "Zq-internal-note-7731"
FORBIDDEN = sorted(
    {"declin", ORDER_FAILED_BY_DECLINE, "provisioning_failed", INTERNAL_NOTE}
    | set(DeclineReason.values)
    | set(DeclineReason.labels)
    | {PostpayPermission.DECLINED.label},
    key=str.lower,
)


def assert_not_disclosed(text, where):
    for word in FORBIDDEN:
        assert not re.search(re.escape(word), text, re.IGNORECASE), f"{where} mentions {word!r}"


@pytest.fixture
def declined_alice(
    alice_client, customer_alice, manual_mode, prepaid_plan, postpaid_plan, postpaid_plan_no_trial, decide
):
    """Alice with a subscription, an order waiting for payment, and an order declined by a
    manager with the reason "other" and an internal note."""
    subscription_order = place_committed(customer_alice, postpaid_plan, "trial")
    place_committed(customer_alice, prepaid_plan, "commercial")
    held = place_committed(customer_alice, postpaid_plan_no_trial)
    declined = decide(held, approve=False, reason=DeclineReason.OTHER, note=INTERNAL_NOTE)
    customer_alice.account.refresh_from_db()
    assert customer_alice.account.postpay_permission == PostpayPermission.DECLINED
    subscription_order.refresh_from_db()
    return {"declined_order": declined, "subscription": subscription_order.subscription}


def _every_page(client, declined_order, subscription):
    urls = [
        "/portal/",
        "/portal/catalog/",
        "/portal/orders/",
        "/portal/subscriptions/",
        "/portal/password/",
        f"/portal/orders/{declined_order.pk}/",
        f"/portal/orders/{subscription.origin_order_id}/",
        f"/portal/subscriptions/{subscription.pk}/",
    ]
    pages = {url: client.get(url) for url in urls}
    # The outcome of every refused action a customer can trigger, as it is shown.
    posts = {
        "/portal/orders/new/": {"plan": declined_order.plan_id, "period": "commercial"},
        f"/portal/orders/{declined_order.pk}/cancel/": {},
        f"/portal/subscriptions/{subscription.pk}/renew/": {},
        f"/portal/subscriptions/{subscription.pk}/switch/": {"plan": declined_order.plan_id},
    }
    for url, data in posts.items():
        pages[f"POST {url}"] = client.post(url, data, follow=True)
    return pages


@pytest.mark.parametrize("mode", ["manual", "automatic"])
def test_r6_r16_r24_no_portal_page_or_message_discloses_the_decline(alice_client, declined_alice, mode):
    postpay_settings_update(actor=None, postpaid_permission_mode=mode)
    pages = _every_page(alice_client, **declined_alice)
    for where, response in pages.items():
        assert response.status_code == 200, where
        assert_not_disclosed(response.content.decode(), where)
    assert "Under review" in pages[f"/portal/orders/{declined_alice['declined_order'].pk}/"].content.decode()
    if mode == "manual":
        assert CUSTOMER_UNDER_REVIEW_TEXT in pages["/portal/"].content.decode()


def test_r6_the_refusal_a_declined_customer_meets_reads_under_review(alice_client, declined_alice):
    response = alice_client.post(
        "/portal/orders/new/", {"plan": declined_alice["declined_order"].plan_id, "period": "commercial"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Your account is under review for postpaid ordering."]


def test_r16_r19_customer_emails_never_mention_the_decline(customer_alice, declined_alice):
    recipients = set(customer_recipients(customer_alice.account))
    customer_mail = [message for message in mail.outbox if recipients & set(message.to)]
    assert customer_mail, "the completed trial sent the customer an e-mail (R19)"
    for message in customer_mail:
        assert_not_disclosed(f"{message.subject}\n{message.body}", f"e-mail {message.subject!r}")
    # R16: the decline itself sent nothing to the customer.
    assert not any(f"#{declined_alice['declined_order'].pk}" in m.subject for m in customer_mail)
