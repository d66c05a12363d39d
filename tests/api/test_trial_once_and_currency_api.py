"""R47 through the API (409 ``trial_already_used``, declared in the schema) and the currency
of plans and orders (CONTRACT §2 ``POSTPAY_CURRENCY``, §4)."""

import pytest
import yaml

from subscriptions.services import order_place
from tests.support.api import api_place, body
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


def test_r47_a_second_trial_of_a_plan_is_409_trial_already_used_and_changes_nothing(api, customer_alice, prepaid_plan):
    client = api(customer_alice)
    assert api_place(client, plan=prepaid_plan.pk, period="trial").status_code == 201
    before = snapshot()
    again = api_place(client, plan=prepaid_plan.pk, period="trial")
    assert again.status_code == 409
    assert body(again) == {
        "code": "trial_already_used",
        "detail": "The trial of this plan has already been used by this account.",
    }
    assert snapshot() == before


def test_r47_staff_ordering_a_used_trial_for_the_account_are_refused_alike(
    api, customer_alice, admin_ada, prepaid_plan
):
    order_place(actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="trial")
    before = snapshot()
    response = api(admin_ada).post(
        "/api/v1/orders/",
        {"plan": prepaid_plan.pk, "period": "trial", "account": customer_alice.account_id},
        format="json",
    )
    assert (response.status_code, body(response)["code"]) == (409, "trial_already_used")
    assert snapshot() == before


def test_r47_the_schema_declares_trial_already_used_where_an_order_is_placed(api):
    schema = yaml.safe_load(api().get("/api/schema/").content)
    conflicts = schema["paths"]["/api/v1/orders/"]["post"]["responses"]["409"]["description"]
    assert "`trial_already_used`" in conflicts and "`postpay_under_review`" in conflicts


def test_plans_and_orders_carry_the_installation_currency(api, customer_alice, prepaid_plan, settings):
    client = api(customer_alice)
    assert body(client.get(f"/api/v1/plans/{prepaid_plan.pk}/"))["currency"] == "USD"  # the default
    settings.POSTPAY_CURRENCY = "EUR"
    plan = body(client.get(f"/api/v1/plans/{prepaid_plan.pk}/"))
    assert (plan["price"], plan["currency"]) == ("9.90", "EUR")
    assert all(p["currency"] == "EUR" for p in body(client.get("/api/v1/plans/"))["results"])
    created = body(api_place(client, plan=prepaid_plan.pk, period="commercial"))
    assert (created["price"], created["currency"]) == ("9.90", "EUR")
    assert body(client.get(f"/api/v1/orders/{created['id']}/"))["currency"] == "EUR"
    assert body(client.get("/api/v1/orders/"))["results"][0]["currency"] == "EUR"


def test_the_schema_documents_currency_on_plans_and_orders(api):
    components = yaml.safe_load(api().get("/api/schema/").content)["components"]["schemas"]
    for name in ("PlanOutput", "OrderOutput"):
        assert components[name]["properties"]["currency"]["type"] == "string", name
        assert "currency" in components[name]["required"], name
