"""Subscriptions through the API (CONTRACT §4; SPEC R5, R23, R24, R31)."""

import pytest

from tests.support.api import body
from tests.support.state import snapshot

SUBSCRIPTION_FIELDS = {"id", "account", "plan", "period", "status", "started_at", "current_period_end"}


@pytest.mark.django_db
def test_list_and_detail_show_the_subscription(api, customer_alice, subscription, staff_sam, outsider_oscar):
    listed = body(api(customer_alice).get("/api/v1/subscriptions/"))
    assert listed["count"] == 1
    item = listed["results"][0]
    assert set(item) == SUBSCRIPTION_FIELDS
    assert item["account"] == customer_alice.account_id and item["status"] == "active"
    assert body(api(customer_alice).get(f"/api/v1/subscriptions/{subscription.pk}/")) == item
    assert body(api(staff_sam).get(f"/api/v1/subscriptions/?account={customer_alice.account_id}"))["count"] == 1
    assert body(api(staff_sam).get(f"/api/v1/subscriptions/?account={outsider_oscar.account_id}"))["count"] == 0
    assert body(api(outsider_oscar).get("/api/v1/subscriptions/"))["count"] == 0


@pytest.mark.django_db
def test_subscription_filter_must_be_an_id(api, staff_sam):
    response = api(staff_sam).get("/api/v1/subscriptions/?account=x")
    assert response.status_code == 400 and "account" in body(response)["fields"]


@pytest.mark.django_db
def test_r31_another_accounts_subscription_is_404_like_a_missing_one(api, outsider_oscar, subscription):
    foreign = api(outsider_oscar).get(f"/api/v1/subscriptions/{subscription.pk}/")
    missing = api(outsider_oscar).get("/api/v1/subscriptions/987654/")
    assert foreign.status_code == missing.status_code == 404
    assert body(foreign) == body(missing)


@pytest.mark.django_db
def test_r23_renew_creates_a_renewal_order_and_a_second_is_order_in_progress(
    api, customer_alice, subscription, prepaid_plan
):
    response = api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert response.status_code == 201
    order = body(response)
    assert order["type"] == "renewal" and order["subscription"] == subscription.pk and order["period"] == "commercial"
    before = snapshot()
    again = api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert again.status_code == 409 and body(again)["code"] == "order_in_progress"
    switch = api(customer_alice).post(
        f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": prepaid_plan.pk}, format="json"
    )
    assert switch.status_code == 409 and body(switch)["code"] == "order_in_progress"
    assert snapshot() == before


@pytest.mark.django_db
def test_r23_switch_creates_a_switch_order(api, customer_alice, subscription, postpaid_plan_no_trial):
    response = api(customer_alice).post(
        f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": postpaid_plan_no_trial.pk}, format="json"
    )
    assert response.status_code == 201
    assert body(response)["type"] == "switch" and body(response)["plan"] == postpaid_plan_no_trial.pk


@pytest.mark.django_db
@pytest.mark.parametrize("plan", ["same", 987654, "7", None])
def test_r31_switch_to_a_bad_plan_is_400_on_plan(api, customer_alice, subscription, plan):
    plan = subscription.plan_id if plan == "same" else plan
    before = snapshot()
    response = api(customer_alice).post(
        f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": plan}, format="json"
    )
    assert response.status_code == 400
    assert body(response)["code"] == "invalid" and list(body(response)["fields"]) == ["plan"]
    assert snapshot() == before


@pytest.mark.django_db
def test_r5_r10_renewal_is_gated_like_any_order(api, subscription, customer_alice, manual_mode, postpaid_plan):
    held = api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert held.status_code == 201 and body(held)["status"] == "waiting_for_approval"


@pytest.mark.django_db
def test_r10_switch_of_an_account_under_review_is_409(
    api, customer_alice, subscription, manual_mode, postpaid_plan_no_trial, prepaid_plan, staff_sam
):
    # Alice's first gated order (a renewal of another subscription would do too) puts her under review.
    first = api(customer_alice).post(
        "/api/v1/orders/", {"plan": postpaid_plan_no_trial.pk, "period": "commercial"}, format="json"
    )
    assert body(first)["status"] == "waiting_for_approval"
    before = snapshot()
    response = api(customer_alice).post(
        f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": postpaid_plan_no_trial.pk}, format="json"
    )
    assert response.status_code == 409 and body(response)["code"] == "postpay_under_review"
    assert snapshot() == before


@pytest.mark.django_db
def test_renew_and_switch_of_a_missing_subscription_are_404(api, staff_sam, prepaid_plan):
    assert api(staff_sam).post("/api/v1/subscriptions/987654/renew/").status_code == 404
    response = api(staff_sam).post("/api/v1/subscriptions/987654/switch/", {"plan": prepaid_plan.pk}, format="json")
    assert response.status_code == 404 and body(response)["code"] == "not_found"


@pytest.mark.django_db
def test_r10_renewal_of_a_declined_account_is_refused_with_the_actors_code(
    api, customer_alice, staff_sam, subscription, declined_order
):
    before = snapshot()
    customer = api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert customer.status_code == 409 and body(customer)["code"] == "postpay_under_review"
    staff = api(staff_sam).post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert staff.status_code == 409 and body(staff)["code"] == "postpay_declined"
    assert snapshot() == before


def _hold_on_subscription(client, subscription, kind, postpaid_plan):
    """Manual mode: a renewal, or a switch to a postpaid plan, of a `none` account is held (R9)."""
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, postpaid_permission_mode="manual")
    url = f"/api/v1/subscriptions/{subscription.pk}/{'renew' if kind == 'renewal' else 'switch'}/"
    response = client.post(url, None if kind == "renewal" else {"plan": postpaid_plan.pk}, format="json")
    assert response.status_code == 201 and body(response)["status"] == "waiting_for_approval"
    return body(response)


@pytest.mark.django_db
@pytest.mark.parametrize("decided", ["under_review", "declined"])
@pytest.mark.parametrize("kind", ["renewal", "switch"])
def test_r23_r32_a_held_renewal_or_switch_holds_its_subscription_before_and_after_a_decline(
    api, customer_alice, staff_sam, manager_max, subscription, postpaid_plan_no_trial, prepaid_plan, kind, decided
):
    """Finding 1: after a decline the held order reads as held, so it stays open (R23)."""
    from manual_operations.models import ManualOperation
    from manual_operations.services import manual_operation_decline

    held = _hold_on_subscription(api(customer_alice), subscription, kind, postpaid_plan_no_trial)
    if decided == "declined":
        operation = ManualOperation.objects.get(order_id=held["id"])
        manual_operation_decline(actor=manager_max, operation_id=operation.pk, reason="credit_risk")
    before = snapshot()
    for client in (api(customer_alice), api(staff_sam)):
        renew = client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
        switch = client.post(
            f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": prepaid_plan.pk}, format="json"
        )
        assert (renew.status_code, body(renew)["code"]) == (409, "order_in_progress")
        assert (switch.status_code, body(switch)["code"]) == (409, "order_in_progress")
    assert snapshot() == before
    shown = body(api(customer_alice).get(f"/api/v1/orders/{held['id']}/"))
    assert shown["status"] == "waiting_for_approval" and shown["failure_reason"] is None


@pytest.mark.django_db
def test_r23_retrying_a_failed_renewal_while_another_order_is_open_is_order_in_progress(
    api, customer_alice, staff_sam, subscription
):
    """Finding 3: the open-order constraint used to surface as an IntegrityError (500)."""
    from subscriptions.services import order_fail_provisioning

    failed = body(api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/"))
    order_fail_provisioning(order_id=failed["id"], error="platform unavailable")
    assert api(customer_alice).post(f"/api/v1/subscriptions/{subscription.pk}/renew/").status_code == 201
    before = snapshot()
    response = api(staff_sam).post(f"/api/v1/orders/{failed['id']}/retry/")
    assert (response.status_code, body(response)["code"]) == (409, "order_in_progress")
    assert snapshot() == before
