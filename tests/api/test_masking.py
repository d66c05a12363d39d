"""A customer never sees a decline (SPEC R6, R16, R24, R28), in any body.

The autouse recorder of ``conftest.py`` scans every customer response of the API tests; here
a declined account's customer calls every endpoint open to them, and the scan must have
seen each of those bodies.
"""

import pytest

from tests.support.api import CUSTOMER_BODIES, assert_no_decline_shown, body


@pytest.mark.django_db
def test_r6_r24_r28_declined_customer_sees_under_review_everywhere(
    api, customer_alice, subscription, declined_order, prepaid_plan, postpaid_plan, waiting_order
):
    client = api(customer_alice)
    CUSTOMER_BODIES.clear()
    calls = [
        client.get("/api/v1/account/"),
        client.get("/api/v1/orders/"),
        client.get("/api/v1/orders/?status=waiting_for_approval"),
        client.get("/api/v1/orders/?status=provisioning_failed"),
        client.get(f"/api/v1/orders/?account={customer_alice.account_id}"),
        client.get(f"/api/v1/orders/{declined_order.pk}/"),
        client.post(f"/api/v1/orders/{declined_order.pk}/cancel/"),
        client.post(f"/api/v1/orders/{declined_order.pk}/retry/"),
        client.post(f"/api/v1/orders/{declined_order.pk}/pay/"),
        client.post("/api/v1/orders/", {"plan": postpaid_plan.pk, "period": "commercial"}, format="json"),
        client.post("/api/v1/orders/", {"plan": postpaid_plan.pk, "period": "trial"}, format="json"),
        client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/"),
        client.post(f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": prepaid_plan.pk}, format="json"),
        client.get("/api/v1/subscriptions/"),
        client.get("/api/v1/plans/"),
        client.get("/api/v1/manual-operations/"),
        client.get("/api/v1/audit-log/"),
        client.get("/api/v1/accounts/"),
    ]
    assert len(CUSTOMER_BODIES) == len(calls)
    assert body(calls[0])["postpay_permission"] == "under_review"
    shown = body(calls[5])
    assert shown["status"] == "waiting_for_approval" and shown["failure_reason"] is None
    assert [o["id"] for o in body(calls[2])["results"]] == [declined_order.pk]
    assert body(calls[3])["count"] == 0
    assert body(calls[9])["code"] == "postpay_under_review"


@pytest.mark.django_db
def test_the_scan_fails_on_what_staff_are_shown(api, customer_alice, staff_sam, declined_order):
    """The scan is not vacuous: the staff view of the same order would fail it."""
    staff_body = api(staff_sam).get(f"/api/v1/orders/{declined_order.pk}/").content.decode()
    with pytest.raises(AssertionError):
        assert_no_decline_shown([(customer_alice.account_id, staff_body)])
    masked = staff_body.replace('"postpay_declined"', "null")
    with pytest.raises(AssertionError, match="declined account"):
        assert_no_decline_shown([(customer_alice.account_id, masked)])
