"""``Idempotency-Key`` on order creation (CONTRACT §4)."""

import pytest

from postpay_portal.models import IdempotencyRecord
from subscriptions.models import Order
from tests.concurrency import run_together
from tests.support.api import api_place, body
from tests.support.state import snapshot


@pytest.mark.django_db
def test_repeat_with_same_key_and_body_returns_the_first_response(api, customer_alice, postpaid_plan):
    client = api(customer_alice)
    first = api_place(client, "k-1", plan=postpaid_plan.pk, period="commercial")
    again = api_place(client, "k-1", period="commercial", plan=postpaid_plan.pk)  # same body, other key order
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_refusal_is_replayed_too(api, customer_alice, held_order, postpaid_plan):
    client = api(customer_alice)
    first = api_place(client, "k-409", plan=postpaid_plan.pk, period="commercial")
    assert first.status_code == 409
    again = api_place(client, "k-409", plan=postpaid_plan.pk, period="commercial")
    assert (again.status_code, body(again)) == (409, body(first))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "second",
    [
        {"plan": "OTHER", "period": "commercial"},
        {"plan": "1.5", "period": "nonsense"},  # invalid too: the key is checked first
        {},
    ],
)
def test_same_key_with_a_different_body_is_422(api, customer_alice, postpaid_plan, prepaid_plan, second):
    client = api(customer_alice)
    api_place(client, "k-2", plan=postpaid_plan.pk, period="commercial")
    second = {k: prepaid_plan.pk if v == "OTHER" else v for k, v in second.items()}
    before = snapshot()
    response = api_place(client, "k-2", **second)
    assert response.status_code == 422
    assert body(response)["code"] == "idempotency_key_reused"
    assert snapshot() == before


@pytest.mark.django_db
def test_a_malformed_body_with_a_known_key_is_422(api, customer_alice, postpaid_plan):
    client = api(customer_alice)
    api_place(client, "k-3", plan=postpaid_plan.pk, period="commercial")
    response = client.post(
        "/api/v1/orders/", data="{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert response.status_code == 422


@pytest.mark.django_db
def test_a_400_is_not_kept_so_a_corrected_body_may_use_the_key(api, customer_alice, postpaid_plan):
    client = api(customer_alice)
    bad = api_place(client, "k-4", plan="x", period="commercial")
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = api_place(client, "k-4", plan=postpaid_plan.pk, period="commercial")
    assert good.status_code == 201


@pytest.mark.django_db
def test_keys_are_per_user(api, customer_alice, outsider_oscar, postpaid_plan):
    first = api_place(api(customer_alice), "shared", plan=postpaid_plan.pk, period="commercial")
    other = api_place(api(outsider_oscar), "shared", plan=postpaid_plan.pk, period="commercial")
    assert other.status_code == 201 and body(other)["id"] != body(first)["id"]
    assert Order.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "k" * 256, "nul\x00key"])
def test_a_key_over_255_characters_empty_or_with_control_characters_is_400(api, customer_alice, postpaid_plan, key):
    before = snapshot()
    response = api_place(api(customer_alice), key, plan=postpaid_plan.pk, period="commercial")
    assert response.status_code == 400 and "Idempotency-Key" in body(response)["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_a_key_of_255_characters_is_accepted(api, customer_alice, postpaid_plan):
    assert api_place(api(customer_alice), "k" * 255, plan=postpaid_plan.pk, period="commercial").status_code == 201


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_create_one_order_and_wait_for_the_first_response(api, customer_alice, postpaid_plan):
    """Eight requests with one key, released together: one order; every one of them gets
    the first response (a late one waits for the first transaction instead of failing)."""
    n = 8
    clients = [api(customer_alice) for _ in range(n)]
    outcomes = run_together(n, lambda i: api_place(clients[i], "race-key", plan=postpaid_plan.pk, period="commercial"))
    assert [kind for kind, _ in outcomes] == ["ok"] * n, outcomes
    responses = [response for _, response in outcomes]
    assert [r.status_code for r in responses] == [201] * n
    assert len({body(r)["id"] for r in responses}) == 1
    assert Order.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
