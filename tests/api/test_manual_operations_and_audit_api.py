"""The manual operations queue and the audit log through the API (CONTRACT §4; SPEC R14–R16,
R29, R31)."""

import pytest

from accounts.models import Account, PostpayPermission
from subscriptions.models import Order, OrderStatus
from tests.support.api import body
from tests.support.state import snapshot

OPERATION_FIELDS = {
    "id",
    "operation",
    "description",
    "account",
    "order",
    "manager",
    "status",
    "created_at",
    "decided_by",
    "decided_at",
    "reason",
    "note",
    "hold_reasons",
    "credit_snapshot",
}


@pytest.mark.django_db
def test_staff_list_operations_with_filters(api, staff_sam, operation, outsider_oscar):
    listed = body(api(staff_sam).get("/api/v1/manual-operations/"))
    assert listed["count"] == 1
    item = listed["results"][0]
    assert set(item) == OPERATION_FIELDS
    assert item["operation"] == "postpay_permission" and item["status"] == "approval_required"
    assert item["account"] == operation.account_id and item["order"] == operation.order_id
    assert item["decided_by"] is None and item["reason"] is None
    assert body(api(staff_sam).get("/api/v1/manual-operations/?status=approval_required"))["count"] == 1
    assert body(api(staff_sam).get("/api/v1/manual-operations/?status=approved"))["count"] == 0
    assert body(api(staff_sam).get(f"/api/v1/manual-operations/?account={outsider_oscar.account_id}"))["count"] == 0
    bad = api(staff_sam).get("/api/v1/manual-operations/?status=pending")
    assert bad.status_code == 400 and "status" in body(bad)["fields"]


@pytest.mark.django_db
def test_operation_shows_the_accounts_linked_manager(api, staff_sam, manager_max, manual_mode, postpaid_plan):
    from accounts.services import account_create
    from subscriptions.services import order_place

    account = account_create(actor=staff_sam, name="Managed", manager="max")
    order_place(actor=staff_sam, account_id=account.pk, plan_id=postpaid_plan.pk, period="commercial")
    assert body(api(staff_sam).get("/api/v1/manual-operations/"))["results"][0]["manager"] == "max"


@pytest.mark.django_db
def test_r15_approve_then_the_order_completes(
    api, manager_max, customer_alice, operation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(manager_max).post(
            f"/api/v1/manual-operations/{operation.pk}/approve/", {"note": "known customer"}, format="json"
        )
    assert response.status_code == 200
    decided = body(response)
    assert decided["status"] == "approved" and decided["decided_by"] == "max" and decided["note"] == "known customer"
    assert decided["decided_at"] is not None and decided["reason"] is None
    order = body(api(customer_alice).get(f"/api/v1/orders/{operation.order_id}/"))
    assert order["status"] == "completed" and order["approved_by"] == "max" and order["created_by"] == "alice"
    assert Account.objects.get(pk=operation.account_id).postpay_permission == PostpayPermission.APPROVED


@pytest.mark.django_db
def test_r16_decline_needs_a_reason_and_fails_the_held_order(api, manager_max, operation):
    before = snapshot()
    for payload in ({}, {"reason": "bad vibes"}, {"reason": None}):
        refused = api(manager_max).post(f"/api/v1/manual-operations/{operation.pk}/decline/", payload, format="json")
        assert refused.status_code == 400 and list(body(refused)["fields"]) == ["reason"]
    assert snapshot() == before
    response = api(manager_max).post(
        f"/api/v1/manual-operations/{operation.pk}/decline/",
        {"reason": "fraud_suspected", "note": "mismatch"},
        format="json",
    )
    assert response.status_code == 200
    assert body(response)["status"] == "declined" and body(response)["reason"] == "fraud_suspected"
    order = Order.objects.get(pk=operation.order_id)
    assert order.status == OrderStatus.PROVISIONING_FAILED and order.failure_reason == "postpay_declined"


@pytest.mark.django_db
@pytest.mark.parametrize("first, second", [("approve", "decline"), ("decline", "approve"), ("approve", "approve")])
def test_r14_second_decision_is_409_and_names_the_first(api, manager_max, operation, first, second):
    decide = {"approve": {}, "decline": {"reason": "other"}}
    api(manager_max).post(f"/api/v1/manual-operations/{operation.pk}/{first}/", decide[first], format="json")
    before = snapshot()
    response = api(manager_max).post(
        f"/api/v1/manual-operations/{operation.pk}/{second}/", decide[second], format="json"
    )
    assert response.status_code == 409
    assert body(response)["code"] == "operation_already_decided" and "max" in body(response)["detail"]
    assert snapshot() == before


@pytest.mark.django_db
def test_deciding_a_missing_operation_is_404(api, manager_max):
    assert api(manager_max).post("/api/v1/manual-operations/987654/approve/").status_code == 404
    response = api(manager_max).post("/api/v1/manual-operations/987654/decline/", {"reason": "other"}, format="json")
    assert response.status_code == 404 and body(response)["code"] == "not_found"


# --- audit log ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_r29_audit_log_shows_stored_values_and_the_deciding_manager(
    api, staff_sam, manager_max, operation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api(manager_max).post(f"/api/v1/manual-operations/{operation.pk}/approve/", {}, format="json")
    entries = body(api(staff_sam).get(f"/api/v1/audit-log/?object_type=account&object_id={operation.account_id}"))
    assert set(entries["results"][0]) == {"object_type", "object_id", "field", "from", "to", "actor", "at", "reason"}
    changes = [(e["field"], e["from"], e["to"], e["actor"]) for e in entries["results"]]
    assert ("postpay_permission", "under_review", "approved", "max") in changes
    assert ("postpay_permission", "none", "under_review", "alice") in changes
    order_log = body(api(staff_sam).get(f"/api/v1/audit-log/?object_type=order&object_id={operation.order_id}"))
    assert ("provisioning", "completed", "system") in [(e["from"], e["to"], e["actor"]) for e in order_log["results"]]
    assert ("waiting_for_approval", "provisioning", "max") in [
        (e["from"], e["to"], e["actor"]) for e in order_log["results"]
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [("object_type=invoice", "object_type"), ("object_id=x", "object_id")])
def test_r31_bad_audit_filter_is_400(api, staff_sam, query, field):
    response = api(staff_sam).get(f"/api/v1/audit-log/?{query}")
    assert response.status_code == 400 and field in body(response)["fields"]
