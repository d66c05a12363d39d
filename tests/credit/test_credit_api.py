"""R37–R42 through the REST API (CONTRACT §4): the account's credit fields, its terms and
payment hold, terms on approvals and pre-approved creation, credit reviews in the queue, and
what a customer sees."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Account
from events.models import Event
from manual_operations.models import ManualOperation
from tests.factories import AccountFactory, CustomerFactory
from tests.support.actions import place
from tests.support.api import body
from tests.support.credit import P
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

ACCOUNT_FIELDS = {
    "id",
    "name",
    "email",
    "account_class",
    "manager",
    "postpay_permission",
    "created_at",
    "postpaid_limit",
    "credit_review_on",
    "payment_hold",
    "postpaid_commitment",
}


def terms_url(account_id):
    return f"/api/v1/accounts/{account_id}/credit-terms/"


def test_r37_the_account_shows_its_terms_and_commitment(api, manager_max, approved_customer, flex, with_terms):
    with_terms(approved_customer, limit=Decimal("500"), review_on=datetime.date(2027, 6, 30))
    place(approved_customer, flex)
    data = body(api(manager_max).get(f"/api/v1/accounts/{approved_customer.account_id}/"))
    assert set(data) == ACCOUNT_FIELDS
    assert (data["postpaid_limit"], data["credit_review_on"], data["payment_hold"], data["postpaid_commitment"]) == (
        "500.00",
        "2027-06-30",
        False,
        "100.00",
    )
    listed = body(api(manager_max).get("/api/v1/accounts/"))["results"]
    assert next(row for row in listed if row["id"] == data["id"]) == data


def test_r37_patch_credit_terms_as_a_manager(api, manager_max, approved_customer):
    response = api(manager_max).patch(
        terms_url(approved_customer.account_id),
        {"postpaid_limit": "250.00", "credit_review_on": "2020-01-01", "reason": "review"},
        format="json",
    )
    assert response.status_code == 200
    assert (body(response)["postpaid_limit"], body(response)["credit_review_on"]) == ("250.00", "2020-01-01")
    response = api(manager_max).patch(
        terms_url(approved_customer.account_id), {"postpaid_limit": None, "reason": "lifted"}, format="json"
    )
    assert (body(response)["postpaid_limit"], body(response)["credit_review_on"]) == (None, "2020-01-01")
    event = Event.objects.filter(type="account.credit_terms_changed").latest("id")
    assert event.data["account"] == body(api(manager_max).get(f"/api/v1/accounts/{approved_customer.account_id}/"))


@pytest.mark.parametrize(
    "payload, code, field",
    [
        ({"postpaid_limit": "-5", "reason": "x"}, "invalid", "postpaid_limit"),
        ({"postpaid_limit": "abc", "reason": "x"}, "invalid", "postpaid_limit"),
        ({"credit_review_on": "not a date", "reason": "x"}, "invalid", "credit_review_on"),
        ({"postpaid_limit": "5"}, "invalid", "reason"),
    ],
)
def test_r31_r37_bad_terms_are_400_and_change_nothing(api, manager_max, approved_customer, payload, code, field):
    before = snapshot()
    response = api(manager_max).patch(terms_url(approved_customer.account_id), payload, format="json")
    assert response.status_code == 400 and body(response)["code"] == code and field in body(response)["fields"]
    assert snapshot() == before


def test_r37_terms_of_an_account_that_is_not_approved_are_409(api, manager_max):
    account = AccountFactory(name="Plain Co")
    before = snapshot()
    response = api(manager_max).patch(terms_url(account.pk), {"postpaid_limit": "1", "reason": "x"}, format="json")
    assert (response.status_code, body(response)["code"]) == (409, "credit_terms_require_approval")
    assert snapshot() == before


def test_r44_credit_terms_need_the_decide_permission(api, staff_sam, approved_customer):
    before = snapshot()
    response = api(staff_sam).patch(
        terms_url(approved_customer.account_id), {"postpaid_limit": "1", "reason": "x"}, format="json"
    )
    assert (response.status_code, body(response)["code"]) == (403, "permission_denied")
    assert snapshot() == before


def test_r37_the_payment_hold_by_staff_who_change_accounts(api, staff_sam, bare_staff_bea, approved_customer):
    url = f"/api/v1/accounts/{approved_customer.account_id}/payment-hold/"
    response = api(staff_sam).post(url, {"payment_hold": True, "reason": "unpaid"}, format="json")
    assert response.status_code == 200 and body(response)["payment_hold"] is True
    assert api(bare_staff_bea).post(url, {"payment_hold": False}, format="json").status_code == 403
    assert api(approved_customer).post(url, {"payment_hold": False}, format="json").status_code == 403
    response = api(staff_sam).post(url, {"payment_hold": "no"}, format="json")
    assert (response.status_code, body(response)["code"]) == (400, "invalid")
    assert Account.objects.get(pk=approved_customer.account_id).payment_hold is True


def test_r37_r44_an_account_created_pre_approved_with_terms_by_a_manager_only(api, manager_max, staff_sam):
    payload = {"name": "New Co", "postpay_permission": "approved", "postpaid_limit": "900", "credit_review_on": None}
    before = snapshot()
    refused = api(staff_sam).post("/api/v1/accounts/", payload, format="json")
    assert (refused.status_code, body(refused)["code"]) == (403, "permission_denied")
    assert snapshot() == before
    created = api(manager_max).post("/api/v1/accounts/", payload, format="json")
    assert created.status_code == 201
    assert (body(created)["postpay_permission"], body(created)["postpaid_limit"]) == ("approved", "900.00")
    terms_only = api(manager_max).post("/api/v1/accounts/", {"name": "Odd Co", "postpaid_limit": "1"}, format="json")
    assert (terms_only.status_code, body(terms_only)["code"]) == (409, "credit_terms_require_approval")


def test_r37_approve_in_advance_with_terms(api, manager_max):
    account = AccountFactory(name="Early Co")
    response = api(manager_max).post(
        f"/api/v1/accounts/{account.pk}/approve-in-advance/", {"postpaid_limit": "120.50"}, format="json"
    )
    assert response.status_code == 200 and body(response)["postpaid_limit"] == "120.50"


def test_r39_a_credit_review_in_the_queue_with_its_reasons_and_snapshot(
    api, manager_max, approved_customer, flex, with_terms
):
    with_terms(approved_customer, limit=P / 2, hold=True)
    held = place(approved_customer, flex)
    results = body(api(manager_max).get("/api/v1/manual-operations/?operation=credit_review"))["results"]
    [review] = results
    assert review["operation"] == "credit_review" and review["order"] == held.pk
    assert review["hold_reasons"] == ["over_limit", "payment_hold"]
    assert review["credit_snapshot"] == {"postpaid_limit": "50.00", "commitment": "0.00", "increase": "100.00"}
    assert body(api(manager_max).get("/api/v1/manual-operations/?operation=postpay_permission"))["results"] == []


def test_r41_approve_with_a_limit_below_the_commitment_is_400_on_postpaid_limit(
    api, manager_max, approved_customer, flex, with_terms
):
    with_terms(approved_customer, limit=P)
    place(approved_customer, flex)
    review = ManualOperation.objects.get(order=place(approved_customer, flex))
    url = f"/api/v1/manual-operations/{review.pk}/approve/"
    before = snapshot()
    response = api(manager_max).post(url, {"postpaid_limit": "150.00"}, format="json")
    assert (response.status_code, body(response)["code"], list(body(response)["fields"])) == (
        400,
        "invalid",
        ["postpaid_limit"],
    )
    assert snapshot() == before
    response = api(manager_max).post(url, {"postpaid_limit": "1000.00", "note": "raised"}, format="json")
    assert response.status_code == 200 and body(response)["status"] == "approved"


def test_r40_the_next_order_with_an_increase_is_409_credit_review_open(api, approved_customer, flex, with_terms):
    with_terms(approved_customer, hold=True)
    place(approved_customer, flex)
    before = snapshot()
    response = api(approved_customer).post("/api/v1/orders/", {"plan": flex.pk, "period": "commercial"}, format="json")
    assert (response.status_code, body(response)["code"]) == (409, "credit_review_open")
    assert snapshot() == before


def test_r41_r42_a_declined_credit_review_reads_credit_review_declined_for_the_customer_too(
    api, manager_max, approved_customer, flex, with_terms
):
    from manual_operations.services import manual_operation_decline

    with_terms(approved_customer, hold=True)
    held = place(approved_customer, flex)
    as_customer = body(api(approved_customer).get(f"/api/v1/orders/{held.pk}/"))
    assert (as_customer["status"], as_customer["failure_reason"]) == ("waiting_for_approval", None)
    manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="credit_risk")
    as_customer = body(api(approved_customer).get(f"/api/v1/orders/{held.pk}/"))
    assert (as_customer["status"], as_customer["failure_reason"]) == ("provisioning_failed", "credit_review_declined")
    filtered = body(api(approved_customer).get("/api/v1/orders/?status=provisioning_failed"))["results"]
    assert [row["id"] for row in filtered] == [held.pk]
    retry = api(manager_max).post(f"/api/v1/orders/{held.pk}/retry/")
    assert (retry.status_code, body(retry)["code"]) == (409, "invalid_order_status")


def my_account(api, customer):
    return body(api(customer).get("/api/v1/account/"))


def test_r42_an_approved_customer_sees_limit_commitment_and_available_in_mode_manually(
    api, approved_customer, flex, with_terms, manager_max
):
    from settings_app.services import postpay_settings_update

    assert {k: my_account(api, approved_customer)[k] for k in ("postpaid_limit", "postpaid_available")} == {
        "postpaid_limit": None,
        "postpaid_available": None,
    }
    assert my_account(api, approved_customer)["postpaid_commitment"] == "0.00"
    with_terms(approved_customer, limit=Decimal("150"))
    place(approved_customer, flex)
    place(approved_customer, flex)  # held: the commitment counts it, available goes negative
    data = my_account(api, approved_customer)
    assert (data["postpaid_limit"], data["postpaid_commitment"], data["postpaid_available"]) == (
        "150.00",
        "200.00",
        "-50.00",
    )
    postpay_settings_update(actor=manager_max, postpaid_permission_mode="automatic")
    data = my_account(api, approved_customer)
    assert (data["postpaid_limit"], data["postpaid_commitment"], data["postpaid_available"]) == (None, None, None)


@pytest.mark.parametrize("status", ["none", "under_review", "declined"])
def test_r42_no_credit_fields_for_an_account_that_is_not_approved(api, manual_mode, postpaid_plan, manager_max, status):
    from manual_operations.services import manual_operation_decline

    customer = CustomerFactory(username="nat", account=AccountFactory(name="Nat Co"))
    if status != "none":
        held = place(customer, postpaid_plan)
        if status == "declined":
            manual_operation_decline(actor=manager_max, operation_id=held.manual_operation.pk, reason="other")
    data = my_account(api, customer)
    assert (data["postpaid_limit"], data["postpaid_commitment"], data["postpaid_available"]) == (None, None, None)


def test_r39_the_review_date_is_read_in_the_installations_time_zone(approved_customer, flex, with_terms):
    with_terms(approved_customer, review_on=timezone.localdate())
    assert place(approved_customer, flex).status == "waiting_for_approval"
