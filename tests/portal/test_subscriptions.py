"""Subscriptions: list, detail, renew and switch through the same gate (R5, R10, R23, R27)."""

import pytest

from subscriptions.models import Order, OrderStatus, OrderType
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def postpaid_subscription(customer_alice, postpaid_plan):
    """Alice's postpaid trial subscription (trials are not gated while R2 is off)."""
    order = place_committed(customer_alice, postpaid_plan, "trial")
    order.refresh_from_db()
    return order.subscription


def test_subscription_list_shows_plan_status_and_period_end(alice_client, alice_subscription):
    response = alice_client.get("/portal/subscriptions/")
    html = response.content.decode()
    assert [s.pk for s in response.context["page"]] == [alice_subscription.pk]
    assert "Starter" in html and "Active" in html
    assert alice_subscription.current_period_end.strftime("%Y") in html


def test_subscription_detail_shows_its_orders_and_actions(alice_client, alice_subscription):
    html = alice_client.get(f"/portal/subscriptions/{alice_subscription.pk}/").content.decode()
    assert "Renew" in html and "Switch plan" in html
    assert f"/portal/orders/{alice_subscription.origin_order_id}/" in html


def test_r23_renew_places_a_renewal_order(alice_client, alice_subscription):
    response = alice_client.post(f"/portal/subscriptions/{alice_subscription.pk}/renew/")
    order = Order.objects.get(type=OrderType.RENEWAL)
    assert response["Location"] == f"/portal/orders/{order.pk}/"
    assert order.subscription_id == alice_subscription.pk
    assert order.status == OrderStatus.WAITING_FOR_PAYMENT  # a prepaid plan


def test_r23_second_open_order_is_refused_and_shown_before_submit(alice_client, alice_subscription):
    alice_client.post(f"/portal/subscriptions/{alice_subscription.pk}/renew/")
    html = alice_client.get(f"/portal/subscriptions/{alice_subscription.pk}/").content.decode()
    assert "for this subscription is in progress" in html
    response = alice_client.post(f"/portal/subscriptions/{alice_subscription.pk}/renew/", follow=True)
    assert "This subscription already has an order in progress." in response.content.decode()
    assert Order.objects.filter(type=OrderType.RENEWAL).count() == 1


def test_r23_switch_places_a_switch_order(alice_client, alice_subscription, postpaid_plan_no_trial):
    response = alice_client.post(
        f"/portal/subscriptions/{alice_subscription.pk}/switch/", {"plan": postpaid_plan_no_trial.pk}
    )
    order = Order.objects.get(type=OrderType.SWITCH)
    assert response["Location"] == f"/portal/orders/{order.pk}/"
    assert order.plan_id == postpaid_plan_no_trial.pk
    assert order.status == OrderStatus.PROVISIONING  # postpaid, not gated in Automatically mode


def test_r31_switch_without_a_plan_or_to_the_same_plan_shows_field_errors(alice_client, alice_subscription):
    response = alice_client.post(f"/portal/subscriptions/{alice_subscription.pk}/switch/", {"plan": ""})
    assert response.status_code == 400
    assert "plan" in response.context["switch_form"].errors
    assert b'aria-invalid="true"' in response.content
    response = alice_client.post(
        f"/portal/subscriptions/{alice_subscription.pk}/switch/", {"plan": alice_subscription.plan_id}
    )
    assert response.status_code == 400
    assert "plan" in response.context["switch_form"].errors
    assert not Order.objects.filter(type=OrderType.SWITCH).exists()


def test_r5_r27_renew_of_a_postpaid_subscription_is_gated_and_disabled(
    alice_client, manual_mode, customer_alice, postpaid_plan, postpaid_subscription
):
    place_committed(customer_alice, postpaid_plan)  # R9: the first gated order puts the account under review
    html = alice_client.get(f"/portal/subscriptions/{postpaid_subscription.pk}/").content.decode()
    renew_form = html[html.index('id="renew-heading"') : html.index('id="switch-heading"')]
    assert "Your account is under review for postpaid ordering." in renew_form
    assert " disabled" in renew_form[renew_form.index("<button") :]
    before = Order.objects.count()
    response = alice_client.post(f"/portal/subscriptions/{postpaid_subscription.pk}/renew/", follow=True)
    assert "Your account is under review for postpaid ordering." in [str(m) for m in response.context["messages"]]
    assert Order.objects.count() == before


def test_r5_r27_switch_to_a_gated_plan_is_disabled_and_refused(
    alice_client, held_order, alice_subscription, postpaid_plan_no_trial
):
    html = alice_client.get(f"/portal/subscriptions/{alice_subscription.pk}/").content.decode()
    option = html[html.index(f'<option value="{postpaid_plan_no_trial.pk}"') :]
    assert option[: option.index(">")].endswith("disabled")
    assert "Your account is under review for postpaid ordering." in html
    before = Order.objects.count()
    response = alice_client.post(
        f"/portal/subscriptions/{alice_subscription.pk}/switch/", {"plan": postpaid_plan_no_trial.pk}, follow=True
    )
    assert "Your account is under review for postpaid ordering." in [str(m) for m in response.context["messages"]]
    assert Order.objects.count() == before


def test_r31_another_account_subscription_is_404(alice_client, outsider_oscar, prepaid_plan, postpaid_plan):
    order = place_committed(outsider_oscar, prepaid_plan, "trial")
    order.refresh_from_db()
    pk = order.subscription_id
    before = Order.objects.count()
    assert alice_client.get(f"/portal/subscriptions/{pk}/").status_code == 404
    assert alice_client.post(f"/portal/subscriptions/{pk}/renew/").status_code == 404
    assert alice_client.post(f"/portal/subscriptions/{pk}/switch/", {"plan": postpaid_plan.pk}).status_code == 404
    assert alice_client.get("/portal/subscriptions/999999/").status_code == 404
    assert alice_client.post("/portal/subscriptions/999999/renew/").status_code == 404
    assert Order.objects.count() == before
    assert f"/portal/subscriptions/{pk}/" not in alice_client.get("/portal/subscriptions/").content.decode()


@pytest.fixture
def postpaid_commercial_subscription(customer_alice, postpaid_plan):
    """Bought while the mode was Automatically: nothing gated it."""
    order = place_committed(customer_alice, postpaid_plan)
    order.refresh_from_db()
    return order.subscription


@pytest.mark.parametrize("decided", ["under_review", "declined"])
@pytest.mark.parametrize("kind", ["renewal", "switch"])
def test_r23_r32_a_held_renewal_or_switch_shows_in_progress_and_refuses_before_and_after_a_decline(
    alice_client, postpaid_commercial_subscription, postpaid_plan_no_trial, prepaid_plan, decide, kind, decided
):
    """Finding 1: after a decline the page used to drop "in progress" and offer Switch again."""
    from settings_app.services import postpay_settings_update

    subscription = postpaid_commercial_subscription
    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    action = "renew" if kind == "renewal" else "switch"
    alice_client.post(f"/portal/subscriptions/{subscription.pk}/{action}/", {"plan": postpaid_plan_no_trial.pk})
    held = Order.objects.get(type=kind)
    assert held.status == OrderStatus.WAITING_FOR_APPROVAL
    if decided == "declined":
        decide(held, approve=False)
    html = alice_client.get(f"/portal/subscriptions/{subscription.pk}/").content.decode()
    assert f'Order <a href="/portal/orders/{held.pk}/">#{held.pk}</a> for this subscription is in progress.' in html
    assert html.count("disabled aria-describedby") == 2  # Renew and Switch plan
    before = Order.objects.count()
    for action, data in (("renew", {}), ("switch", {"plan": prepaid_plan.pk})):
        response = alice_client.post(f"/portal/subscriptions/{subscription.pk}/{action}/", data, follow=True)
        assert [str(m) for m in response.context["messages"]] == ["This subscription already has an order in progress."]
    assert Order.objects.count() == before
    assert "Under review" in alice_client.get(f"/portal/orders/{held.pk}/").content.decode()
