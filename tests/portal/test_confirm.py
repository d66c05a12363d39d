"""The confirm step before ordering, renewing and switching (R27, R21, R9, R47), and what the
customer reads after placing (one message per event)."""

import pytest
from django.db import transaction
from django.test import Client

from accounts.visibility import CUSTOMER_UNDER_REVIEW_TEXT
from postpay_portal.errors import DomainError
from settings_app.selectors import postpay_settings_get
from settings_app.services import postpay_settings_update
from subscriptions.models import Order, OrderStatus, OrderType
from subscriptions.previews import order_preview
from subscriptions.services import order_place, subscription_renew, subscription_switch
from tests.factories import PlanFactory
from tests.support.actions import place_committed
from tests.support.state import counts

pytestmark = pytest.mark.django_db

INSTRUCTIONS = "Wire the amount to IBAN DE02 1203 0000 0000 2020 51, quoting your order number."


def confirm_page(client, url, data=None):
    response = client.get(url, data or {})
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    form = html[html.index('<form method="post"', html.index('id="confirm-heading"')) :]
    return html, form[: form.index("</form>")]


def next_step(html):
    return html[html.index('<div id="confirm-next">') : html.index('<form method="post"', html.index("confirm-next"))]


# --- the catalog's confirm step -------------------------------------------------------------


def test_r27_ordering_shows_a_summary_first_and_confirm_places_the_order(alice_client, postpaid_plan):
    before = counts()
    html, form = confirm_page(alice_client, "/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"})
    assert counts() == before  # the summary changes nothing
    assert "Confirm your order" in html and "Cloud Flex (Postpay)" in html and "Commercial" in html
    assert '<dd id="confirm-price">29.00 USD per billing period of 30 days</dd>' in html
    assert "Your subscription is set up right away." in next_step(html)
    assert 'action="/portal/orders/new/"' in form and 'name="csrfmiddlewaretoken"' in form
    assert f'name="plan" value="{postpaid_plan.pk}"' in form and 'name="period" value="commercial"' in form
    assert " disabled" not in form
    assert '<a class="button" href="/portal/catalog/">Back</a>' in form

    response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"})
    order = Order.objects.get()
    assert response["Location"] == f"/portal/orders/{order.pk}/"
    assert (order.type, order.plan_id, order.period, order.status) == (
        "new",
        postpaid_plan.pk,
        "commercial",
        "provisioning",
    )


def test_a_trial_reads_free_for_its_days(alice_client, postpaid_plan):
    html, _ = confirm_page(alice_client, "/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "trial"})
    assert '<dd id="confirm-price">Free for 30 days</dd>' in html
    assert "the trial is free for 30 days" in next_step(html)


def test_r9_a_first_gated_order_says_it_will_be_held_for_review(alice_client, manual_mode, postpaid_plan):
    html, form = confirm_page(alice_client, "/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"})
    assert "Your order is held for review" in next_step(html)
    assert " disabled" not in form


def test_r21_a_prepaid_commercial_order_says_it_waits_for_payment_and_how_to_pay(alice_client, prepaid_plan):
    html, _ = confirm_page(alice_client, "/portal/orders/new/", {"plan": prepaid_plan.pk, "period": "commercial"})
    assert "waits for your payment" in next_step(html) and "We will tell you how to pay." in next_step(html)
    postpay_settings_update(actor=None, payment_instructions=INSTRUCTIONS)
    html, _ = confirm_page(alice_client, "/portal/orders/new/", {"plan": prepaid_plan.pk, "period": "commercial"})
    assert "How to pay" in next_step(html) and INSTRUCTIONS in next_step(html)
    assert '<dd id="confirm-price">9.90 USD per billing period of 30 days</dd>' in html


def test_r10_r27_a_refused_order_shows_the_reason_and_a_disabled_confirm(alice_client, held_order, postpaid_plan):
    before = counts()
    html, form = confirm_page(alice_client, "/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"})
    assert f'<p class="refusal" id="confirm-why">{CUSTOMER_UNDER_REVIEW_TEXT}.</p>' in html
    assert 'disabled aria-describedby="confirm-why"' in form
    assert counts() == before


@pytest.mark.parametrize(
    "query, field",
    [
        ({}, "plan"),
        ({"plan": "999999", "period": "commercial"}, "plan"),
        ({"plan": "PLAN", "period": "trial"}, "period"),
    ],
)
def test_r31_a_summary_of_bad_input_is_the_catalog_with_errors(alice_client, postpaid_plan_no_trial, query, field):
    query = {k: str(postpaid_plan_no_trial.pk) if v == "PLAN" else v for k, v in query.items()}
    response = alice_client.get("/portal/orders/new/", query)
    assert response.status_code == 400
    assert field in response.context["failed_form"].errors
    assert "Catalog" in response.content.decode()


def test_confirm_needs_the_csrf_token(customer_alice, postpaid_plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer_alice)
    response = client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"})
    assert response.status_code == 403
    assert Order.objects.count() == 0


# --- R47 in the portal --------------------------------------------------------------------


def test_r47_a_used_trial_reads_trial_used_and_is_not_offered(alice_client, customer_alice, prepaid_plan):
    place_committed(customer_alice, prepaid_plan, "trial")
    response = alice_client.get("/portal/catalog/")
    html = response.content.decode()
    [(_, offers)] = response.context["plans"]
    assert [(offer.period, offer.trial_used) for offer in offers] == [("trial", True), ("commercial", False)]
    assert "Trial used" in html
    assert (
        f'name="plan" value="{prepaid_plan.pk}">\n        <input type="hidden" name="period" value="trial">' not in html
    )
    assert "Start the 14-day trial" not in html
    assert "Order a commercial period" in html


def test_r47_the_confirm_step_and_a_crafted_post_refuse_a_used_trial(alice_client, customer_alice, prepaid_plan):
    place_committed(customer_alice, prepaid_plan, "trial")
    before = counts()
    html, form = confirm_page(alice_client, "/portal/orders/new/", {"plan": prepaid_plan.pk, "period": "trial"})
    assert "The trial of this plan has already been used by this account." in next_step(html)
    assert 'disabled aria-describedby="confirm-why"' in form
    response = alice_client.post("/portal/orders/new/", {"plan": prepaid_plan.pk, "period": "trial"}, follow=True)
    assert response.redirect_chain == [("/portal/catalog/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The trial of this plan has already been used by this account."
    ]
    assert counts() == before


# --- renewing and switching -----------------------------------------------------------------


def test_r23_renewing_shows_a_summary_first(alice_client, alice_subscription):
    url = f"/portal/subscriptions/{alice_subscription.pk}/renew/"
    before = counts()
    html, form = confirm_page(alice_client, url)
    assert counts() == before
    assert "Confirm the renewal" in html and f"Renewal of subscription #{alice_subscription.pk}" in html
    assert '<dd id="confirm-price">9.90 USD per billing period of 30 days</dd>' in html
    assert "waits for your payment" in next_step(html)
    assert f'action="{url}"' in form and f'href="/portal/subscriptions/{alice_subscription.pk}/">Back</a>' in form
    alice_client.post(url)
    assert Order.objects.get(type=OrderType.RENEWAL).status == OrderStatus.WAITING_FOR_PAYMENT


def test_r23_switching_shows_a_summary_of_the_chosen_plan_first(alice_client, alice_subscription, postpaid_plan):
    url = f"/portal/subscriptions/{alice_subscription.pk}/switch/"
    html, form = confirm_page(alice_client, url, {"plan": postpaid_plan.pk})
    assert "Confirm the plan switch" in html and "from Starter" in html and "Cloud Flex (Postpay)" in html
    assert "Your subscription moves to Cloud Flex right away." in next_step(html)
    assert f'name="plan" value="{postpaid_plan.pk}"' in form
    assert Order.objects.filter(type=OrderType.SWITCH).count() == 0
    alice_client.post(url, {"plan": postpaid_plan.pk})
    assert Order.objects.get(type=OrderType.SWITCH).plan_id == postpaid_plan.pk


def test_r31_a_switch_summary_without_a_plan_is_the_subscription_page_with_the_error(alice_client, alice_subscription):
    response = alice_client.get(f"/portal/subscriptions/{alice_subscription.pk}/switch/", {"plan": ""})
    assert response.status_code == 400
    assert "plan" in response.context["switch_form"].errors


def test_r23_a_summary_while_an_order_of_the_subscription_is_open_refuses(alice_client, alice_subscription):
    alice_client.post(f"/portal/subscriptions/{alice_subscription.pk}/renew/")
    html, form = confirm_page(alice_client, f"/portal/subscriptions/{alice_subscription.pk}/renew/")
    assert "This subscription already has an order in progress." in next_step(html)
    assert 'disabled aria-describedby="confirm-why"' in form


def test_r31_another_account_subscription_summary_is_404(alice_client, outsider_oscar, prepaid_plan):
    order = place_committed(outsider_oscar, prepaid_plan, "trial")
    order.refresh_from_db()
    assert alice_client.get(f"/portal/subscriptions/{order.subscription_id}/renew/").status_code == 404
    assert alice_client.get(f"/portal/subscriptions/{order.subscription_id}/switch/", {"plan": 1}).status_code == 404


# --- the preview tells what the service does -----------------------------------------------------


@pytest.fixture
def bought(customer_alice):
    """Alice's subscriptions on plans of their own, bought in Automatically mode: one
    postpaid, one prepaid (their trials are used)."""
    subscriptions = []
    for billing_model in ("postpay", "prepay"):
        plan = PlanFactory(name=f"Owned {billing_model}", billing_model=billing_model, price="12.00", trial_days=7)
        order = place_committed(customer_alice, plan, "trial")
        order.refresh_from_db()
        subscriptions.append(order.subscription)
    return subscriptions


@pytest.mark.parametrize("permission", ["none", "under_review", "declined", "approved"])
def test_r27_the_confirm_step_tells_what_the_service_then_does(
    customer_alice, bought, postpaid_plan, prepaid_plan, postpaid_plan_no_trial, decide, permission
):
    """Every order type, plan, period, mode and trial gating: the preview's refusal is the
    service's, and an order it lets through is placed in the status and at the price it said."""
    if permission != "none":
        postpay_settings_update(actor=None, postpaid_permission_mode="manual")
        held = place_committed(customer_alice, postpaid_plan_no_trial)
        if permission != "under_review":
            decide(held, approve=permission == "approved")
    customer_alice.account.refresh_from_db()
    postpaid_subscription, prepaid_subscription = bought
    cases = [
        *[
            (OrderType.NEW, plan, period, None)
            for plan in (postpaid_plan, prepaid_plan)
            for period in ("trial", "commercial")
        ],
        *[(OrderType.NEW, subscription.plan, "trial", None) for subscription in bought],  # used trials
        (OrderType.RENEWAL, postpaid_subscription.plan, "commercial", postpaid_subscription),
        (OrderType.RENEWAL, prepaid_subscription.plan, "commercial", prepaid_subscription),
        (OrderType.SWITCH, prepaid_plan, "commercial", postpaid_subscription),
        (OrderType.SWITCH, postpaid_plan, "commercial", prepaid_subscription),
    ]
    compared = 0
    for mode in ("automatic", "manual"):
        for gating in (False, True):
            postpay_settings_update(actor=None, postpaid_permission_mode=mode, trial_requires_approval=gating)
            for order_type, plan, period, subscription in cases:
                preview = order_preview(
                    actor=customer_alice,
                    account=customer_alice.account,
                    plan=plan,
                    period=period,
                    order_type=order_type,
                    settings_row=postpay_settings_get(),
                    subscription=subscription,
                )
                with transaction.atomic():
                    try:
                        if order_type == OrderType.NEW:
                            order = order_place(
                                actor=customer_alice,
                                account_id=customer_alice.account_id,
                                plan_id=plan.pk,
                                period=period,
                            )
                        elif order_type == OrderType.RENEWAL:
                            order = subscription_renew(actor=customer_alice, subscription_id=subscription.pk)
                        else:
                            order = subscription_switch(
                                actor=customer_alice, subscription_id=subscription.pk, plan_id=plan.pk
                            )
                        outcome = (order.status, order.price)
                    except DomainError as refusal:
                        outcome = ("refused", refusal.detail)
                    transaction.set_rollback(True)
                said = ("refused", preview.refusal) if preview.refusal else (preview.status, preview.price)
                assert said == outcome, (mode, gating, order_type, plan.name, period)
                compared += 1
    assert compared == 4 * 10


# --- one message per event ------------------------------------------------------------------------


def test_the_message_after_placing_agrees_with_the_page(
    alice_client, postpaid_plan, django_capture_on_commit_callbacks
):
    """A trial provisions before the page is read: the message must not say "Provisioning"
    beside a page that says "Completed"."""
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "trial"})
    order = Order.objects.get()
    assert order.status == OrderStatus.COMPLETED
    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert [str(m) for m in page.context["messages"]] == [f"Order #{order.pk} placed."]
    assert '<span class="status status-completed large">Completed</span>' in html
    assert "Provisioning" not in html


def test_r27_the_under_review_sentence_shows_once_after_a_held_order(alice_client, manual_mode, postpaid_plan):
    response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"}, follow=True)
    html = response.content.decode()
    assert html.count(CUSTOMER_UNDER_REVIEW_TEXT) == 1  # the banner; the order says "under review" of itself
    dashboard = alice_client.get("/portal/").content.decode()
    assert dashboard.count(CUSTOMER_UNDER_REVIEW_TEXT) == 1
    assert "<dt>Postpaid ordering</dt><dd>Under review</dd>" in dashboard
