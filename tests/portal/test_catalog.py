"""Catalog and ordering (R5, R9, R10, R21, R27)."""

import pytest

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation
from subscriptions.models import Order, OrderStatus

pytestmark = pytest.mark.django_db


def _offer(response, plan, period):
    for listed_plan, offers in response.context["plans"]:
        if listed_plan.pk == plan.pk:
            return next(offer for offer in offers if offer.period == period)
    raise AssertionError(f"{plan} is not listed")


def _submit_button(html, plan, period):
    """The submit button of the form ordering this plan and period."""
    form = html.split(f'name="plan" value="{plan.pk}">')[1:]
    form = next(
        part for part in form if part.lstrip().startswith(f'<input type="hidden" name="period" value="{period}">')
    )
    return form[form.index("<button") : form.index("</button>")]


def test_catalog_lists_plans_with_billing_model_price_and_trial(alice_client, postpaid_plan, prepaid_plan):
    html = alice_client.get("/portal/catalog/").content.decode()
    assert "Cloud Flex" in html and "Postpay" in html and "29.00" in html and "30-day free trial" in html
    assert "Starter" in html and "Prepay" in html and "9.90" in html and "14-day free trial" in html


def test_a_plan_without_trial_offers_only_a_commercial_period(alice_client, postpaid_plan_no_trial):
    response = alice_client.get("/portal/catalog/")
    [(plan, offers)] = response.context["plans"]
    assert [offer.period for offer in offers] == ["commercial"]


def test_r27_gated_order_shows_why_and_disables_the_button_but_lists_the_plan(alice_client, held_order, postpaid_plan):
    response = alice_client.get("/portal/catalog/")
    html = response.content.decode()
    offer = _offer(response, postpaid_plan, "commercial")
    assert offer.refusal == "Your account is under review for postpaid ordering."
    button = _submit_button(html, postpaid_plan, "commercial")
    assert " disabled" in button
    assert offer.refusal in html
    # The trial is not gated (R2 off): its button stays enabled.
    assert " disabled" not in _submit_button(html, postpaid_plan, "trial")


def test_r27_nothing_disabled_for_an_account_that_may_order(alice_client, manual_mode, postpaid_plan):
    html = alice_client.get("/portal/catalog/").content.decode()
    assert " disabled" not in _submit_button(html, postpaid_plan, "commercial")


def test_r10_r27_server_refuses_the_gated_order_anyway(alice_client, held_order, postpaid_plan):
    before = (Order.objects.count(), ManualOperation.objects.count())
    response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"}, follow=True)
    assert response.redirect_chain == [("/portal/catalog/", 302)]
    assert "Your account is under review for postpaid ordering." in [str(m) for m in response.context["messages"]]
    assert (Order.objects.count(), ManualOperation.objects.count()) == before
    assert Account.objects.get(pk=held_order.account_id).postpay_permission == PostpayPermission.UNDER_REVIEW


def test_r9_r24_first_gated_order_is_held_and_reads_under_review(alice_client, manual_mode, postpaid_plan):
    response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"}, follow=True)
    order = Order.objects.get()
    assert response.redirect_chain == [(f"/portal/orders/{order.pk}/", 302)]
    assert order.status == OrderStatus.WAITING_FOR_APPROVAL
    assert order.created_by.username == "alice"
    html = response.content.decode()
    assert [str(m) for m in response.context["messages"]] == [f"Order #{order.pk} placed."]
    assert '<span class="status status-waiting_for_approval large">Under review</span>' in html
    assert "Waiting for approval" not in html


def test_r21_prepaid_commercial_order_waits_for_payment(alice_client, prepaid_plan):
    alice_client.post("/portal/orders/new/", {"plan": prepaid_plan.pk, "period": "commercial"})
    assert Order.objects.get().status == OrderStatus.WAITING_FOR_PAYMENT


def test_r21_postpaid_trial_provisions_into_a_subscription(
    alice_client, postpaid_plan, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "trial"})
    order = Order.objects.get()
    assert order.status == OrderStatus.COMPLETED
    assert order.subscription.account_id == order.account_id


@pytest.mark.parametrize(
    "data, field",
    [
        ({"plan": "999999", "period": "commercial"}, "plan"),
        ({"plan": "abc", "period": "commercial"}, "plan"),
        ({"period": "commercial"}, "plan"),
        ({"plan": "PLAN", "period": "forever"}, "period"),
    ],
)
def test_r31_bad_input_is_refused_with_errors_and_nothing_created(alice_client, postpaid_plan, data, field):
    data = {k: str(postpaid_plan.pk) if v == "PLAN" else v for k, v in data.items()}
    response = alice_client.post("/portal/orders/new/", data)
    assert response.status_code == 400
    assert field in response.context["failed_form"].errors
    assert Order.objects.count() == 0


def test_r31_trial_on_a_plan_without_trial_shows_the_error_on_its_card(alice_client, postpaid_plan_no_trial):
    response = alice_client.post("/portal/orders/new/", {"plan": postpaid_plan_no_trial.pk, "period": "trial"})
    assert response.status_code == 400
    assert "This plan has no trial period." in response.content.decode()
    assert Order.objects.count() == 0


def test_an_order_is_placed_only_by_a_post(alice_client, postpaid_plan):
    """A GET shows the confirm step (tests/portal/test_confirm.py); only Confirm's POST orders."""
    assert (
        alice_client.get("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "commercial"}).status_code == 200
    )
    assert alice_client.get("/portal/orders/new/").status_code == 400
    assert alice_client.put("/portal/orders/new/").status_code == 405
    assert Order.objects.count() == 0


def test_r2_r27_trial_is_gated_too_when_trials_require_approval(alice_client, held_order, postpaid_plan):
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, trial_requires_approval=True)
    html = alice_client.get("/portal/catalog/").content.decode()
    assert " disabled" in _submit_button(html, postpaid_plan, "trial")
    before = Order.objects.count()
    alice_client.post("/portal/orders/new/", {"plan": postpaid_plan.pk, "period": "trial"})
    assert Order.objects.count() == before
