"""R36 through the REST API (CONTRACT §4): ``POST /api/v1/account/postpay-review/`` (R36a)
and ``POST /api/v1/accounts/{id}/approve-in-advance/`` (R36b)."""

import pytest

from manual_operations.models import ManualOperation
from manual_operations.services import manual_operation_decline
from tests.support.api import body
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


def test_r36a_api_ask_in_advance_is_202_with_the_account_as_the_customer_sees_it(api, manual_mode, customer_alice):
    response = api(customer_alice).post("/api/v1/account/postpay-review/")
    assert response.status_code == 202
    assert body(response) == {
        "id": customer_alice.account_id,
        "name": "Alice Ltd",
        "postpay_permission": "under_review",
        "postpaid_limit": None,
        "postpaid_commitment": None,
        "postpaid_available": None,
    }
    again = api(customer_alice).post("/api/v1/account/postpay-review/")
    assert (again.status_code, body(again)["code"]) == (409, "postpay_under_review")


def test_r36a_r32_api_a_declined_customer_who_asks_again_reads_under_review(
    api, manual_mode, customer_alice, manager_max
):
    api(customer_alice).post("/api/v1/account/postpay-review/")
    manual_operation_decline(actor=manager_max, operation_id=ManualOperation.objects.get().pk, reason="fraud_suspected")
    before = snapshot()
    response = api(customer_alice).post("/api/v1/account/postpay-review/")
    assert (response.status_code, body(response)["code"]) == (409, "postpay_under_review")
    assert body(api(customer_alice).get("/api/v1/account/"))["postpay_permission"] == "under_review"
    assert snapshot() == before


def test_r36b_api_approve_in_advance_is_200_and_lists_the_operation_without_an_order(api, customer_alice, manager_max):
    response = api(manager_max).post(
        f"/api/v1/accounts/{customer_alice.account_id}/approve-in-advance/", {"note": "known"}, format="json"
    )
    assert response.status_code == 200 and body(response)["postpay_permission"] == "approved"
    [operation] = body(api(manager_max).get(f"/api/v1/manual-operations/?account={customer_alice.account_id}"))[
        "results"
    ]
    assert (operation["order"], operation["status"], operation["decided_by"], operation["note"]) == (
        None,
        "approved",
        "max",
        "known",
    )
    again = api(manager_max).post(f"/api/v1/accounts/{customer_alice.account_id}/approve-in-advance/")
    assert (again.status_code, body(again)["code"]) == (409, "postpay_review_not_needed")
    missing = api(manager_max).post("/api/v1/accounts/987654321/approve-in-advance/")
    assert (missing.status_code, body(missing)["code"]) == (404, "not_found")
