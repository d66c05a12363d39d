"""Orders through the API (CONTRACT §4; SPEC R5, R9–R13, R20–R25, R31)."""

import pytest

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation
from subscriptions.models import Order, OrderStatus
from tests.support.api import api_place, body
from tests.support.state import snapshot

ORDER_FIELDS = {
    "id",
    "type",
    "account",
    "plan",
    "period",
    "price",
    "currency",
    "status",
    "failure_reason",
    "subscription",
    "created_by",
    "approved_by",
    "created_at",
}


@pytest.mark.django_db
def test_r9_first_gated_order_is_201_held_with_an_operation(api, manual_mode, customer_alice, postpaid_plan):
    response = api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial")
    assert response.status_code == 201
    order = body(response)
    assert set(order) == ORDER_FIELDS
    assert (
        order["type"] == "new" and order["account"] == customer_alice.account_id and order["plan"] == postpaid_plan.pk
    )
    assert order["status"] == "waiting_for_approval" and order["failure_reason"] is None
    assert order["price"] == "29.00" and order["created_by"] == "alice" and order["approved_by"] is None
    assert order["subscription"] is None and order["created_at"].endswith("Z")
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.UNDER_REVIEW
    assert ManualOperation.objects.get().order_id == order["id"]


@pytest.mark.django_db
def test_r21_automatic_mode_postpaid_order_goes_to_provisioning(api, customer_alice, postpaid_plan):
    response = api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial")
    assert response.status_code == 201
    assert body(response)["status"] == "provisioning"


@pytest.mark.django_db
def test_r5_staff_order_needs_the_account_and_obeys_the_gate(api, manual_mode, staff_sam, alice_account, postpaid_plan):
    before = snapshot()
    missing = api_place(api(staff_sam), plan=postpaid_plan.pk, period="commercial")
    assert missing.status_code == 400
    assert body(missing)["code"] == "invalid" and "account" in body(missing)["fields"]
    assert snapshot() == before
    response = api_place(api(staff_sam), plan=postpaid_plan.pk, period="commercial", account=alice_account.pk)
    assert response.status_code == 201
    assert body(response)["status"] == "waiting_for_approval"
    assert body(response)["created_by"] == "sam"


@pytest.mark.django_db
def test_r10_order_of_an_account_under_review_is_409_and_creates_nothing(
    api, held_order, customer_alice, postpaid_plan
):
    before = snapshot()
    response = api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial")
    assert response.status_code == 409
    assert body(response)["code"] == "postpay_under_review"
    assert snapshot() == before


@pytest.mark.django_db
def test_r10_declined_account_is_postpay_declined_for_staff_and_under_review_for_customers(
    api, declined_order, customer_alice, staff_sam, postpaid_plan
):
    before = snapshot()
    staff = api_place(api(staff_sam), plan=postpaid_plan.pk, period="commercial", account=customer_alice.account_id)
    assert staff.status_code == 409 and body(staff)["code"] == "postpay_declined"
    customer = api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial")
    assert customer.status_code == 409 and body(customer)["code"] == "postpay_under_review"
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"plan": 1.5, "period": "commercial"}, "plan"),
        ({"plan": "1", "period": "commercial"}, "plan"),
        ({"plan": True, "period": "commercial"}, "plan"),
        ({"plan": None, "period": "commercial"}, "plan"),
        ({"period": "commercial"}, "plan"),
        ({"plan": "PLAN", "period": "monthly"}, "period"),
        ({"plan": "PLAN", "period": "commercial", "account": "ACCOUNT_AS_STRING"}, "account"),
        ({"plan": "PLAN", "period": "commercial", "account": 2.0}, "account"),
        ({"plan": 10**30, "period": "commercial"}, "plan"),
    ],
)
def test_r31_id_fields_accept_only_json_integers(api, customer_alice, postpaid_plan, payload, field):
    payload = {key: postpaid_plan.pk if value == "PLAN" else value for key, value in payload.items()}
    if payload.get("account") == "ACCOUNT_AS_STRING":
        payload["account"] = str(customer_alice.account_id)
    before = snapshot()
    response = api_place(api(customer_alice), **payload)
    assert response.status_code == 400
    assert body(response)["code"] == "invalid"
    assert field in body(response)["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_r31_unknown_plan_and_trial_without_trial_are_400_on_their_field(api, customer_alice, postpaid_plan_no_trial):
    before = snapshot()
    unknown = api_place(api(customer_alice), plan=999999, period="commercial")
    assert unknown.status_code == 400 and list(body(unknown)["fields"]) == ["plan"]
    trial = api_place(api(customer_alice), plan=postpaid_plan_no_trial.pk, period="trial")
    assert trial.status_code == 400 and list(body(trial)["fields"]) == ["period"]
    assert snapshot() == before


@pytest.mark.django_db
def test_r31_another_accounts_id_in_the_body_is_404(api, customer_alice, outsider_oscar, postpaid_plan):
    before = snapshot()
    response = api_place(
        api(customer_alice), plan=postpaid_plan.pk, period="commercial", account=outsider_oscar.account_id
    )
    assert response.status_code == 404 and body(response)["code"] == "not_found"
    missing = api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial", account=987654)
    assert body(missing) == body(response)
    assert snapshot() == before


@pytest.mark.django_db
def test_unknown_fields_are_ignored(api, customer_alice, postpaid_plan):
    response = api_place(
        api(customer_alice), plan=postpaid_plan.pk, period="commercial", colour="blue", status="completed"
    )
    assert response.status_code == 201
    assert body(response)["status"] == "provisioning"


@pytest.mark.django_db
def test_r24_customers_list_only_their_own_orders(api, customer_alice, outsider_oscar, waiting_order, prepaid_plan):
    api_place(api(outsider_oscar), plan=prepaid_plan.pk, period="commercial")
    mine = body(api(customer_alice).get("/api/v1/orders/"))
    assert mine["count"] == 1 and mine["results"][0]["id"] == waiting_order.pk
    assert body(api(customer_alice).get(f"/api/v1/orders/?account={outsider_oscar.account_id}"))["count"] == 0


@pytest.mark.django_db
def test_staff_filter_orders_by_account_and_status(
    api, staff_sam, waiting_order, held_order, outsider_oscar, prepaid_plan
):
    api_place(api(outsider_oscar), plan=prepaid_plan.pk, period="commercial")
    staff = api(staff_sam)
    assert body(staff.get("/api/v1/orders/"))["count"] == 3
    by_account = body(staff.get(f"/api/v1/orders/?account={waiting_order.account_id}"))
    assert {o["id"] for o in by_account["results"]} == {waiting_order.pk, held_order.pk}
    held = body(staff.get("/api/v1/orders/?status=waiting_for_approval"))
    assert [o["id"] for o in held["results"]] == [held_order.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["status=bogus", "account=abc", "account=1.5", "account=-3"])
def test_r31_bad_filter_is_400_invalid(api, staff_sam, query):
    response = api(staff_sam).get(f"/api/v1/orders/?{query}")
    assert response.status_code == 400
    assert body(response)["code"] == "invalid"
    assert query.split("=")[0] in body(response)["fields"]


@pytest.mark.django_db
def test_r24_customer_status_filter_matches_the_shown_status(api, declined_order, customer_alice, staff_sam):
    customer = api(customer_alice)
    shown = body(customer.get("/api/v1/orders/?status=waiting_for_approval"))
    assert [o["id"] for o in shown["results"]] == [declined_order.pk]
    assert shown["results"][0]["status"] == "waiting_for_approval"
    assert body(customer.get("/api/v1/orders/?status=provisioning_failed"))["count"] == 0
    staff_view = body(api(staff_sam).get("/api/v1/orders/?status=provisioning_failed"))
    assert staff_view["results"][0]["failure_reason"] == "postpay_declined"


@pytest.mark.django_db
def test_order_detail_and_404_for_missing_and_foreign(api, waiting_order, customer_alice, outsider_oscar):
    assert body(api(customer_alice).get(f"/api/v1/orders/{waiting_order.pk}/"))["id"] == waiting_order.pk
    foreign = api(outsider_oscar).get(f"/api/v1/orders/{waiting_order.pk}/")
    missing = api(outsider_oscar).get("/api/v1/orders/987654/")
    assert foreign.status_code == missing.status_code == 404
    assert body(foreign) == body(missing)


@pytest.mark.django_db
def test_r21_staff_pay_moves_waiting_order_to_provisioning(
    api, staff_sam, waiting_order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(staff_sam).post(f"/api/v1/orders/{waiting_order.pk}/pay/")
    assert response.status_code == 200
    assert body(response)["status"] == "provisioning"
    assert len(callbacks) == 1  # provisioning is enqueued after commit (R22)


@pytest.mark.django_db
def test_pay_of_an_order_not_waiting_for_payment_is_409(api, staff_sam, held_order):
    before = snapshot()
    response = api(staff_sam).post(f"/api/v1/orders/{held_order.pk}/pay/")
    assert response.status_code == 409 and body(response)["code"] == "invalid_order_status"
    assert snapshot() == before


@pytest.mark.django_db
def test_r25_customer_cancels_waiting_order_but_not_a_held_one(
    api, customer_alice, waiting_order, postpaid_plan, manual_mode
):
    response = api(customer_alice).post(f"/api/v1/orders/{waiting_order.pk}/cancel/")
    assert response.status_code == 200 and body(response)["status"] == "cancelled"
    held = body(api_place(api(customer_alice), plan=postpaid_plan.pk, period="commercial"))
    before = snapshot()
    refused = api(customer_alice).post(f"/api/v1/orders/{held['id']}/cancel/")
    assert refused.status_code == 409 and body(refused)["code"] == "invalid_order_status"
    assert snapshot() == before


@pytest.mark.django_db
def test_r22_staff_retry_a_failed_provisioning(api, staff_sam, failed_order):
    response = api(staff_sam).post(f"/api/v1/orders/{failed_order.pk}/retry/")
    assert response.status_code == 200
    assert body(response)["status"] == "provisioning" and body(response)["failure_reason"] is None


@pytest.mark.django_db
def test_r22_customers_read_a_plain_failure_sentence_while_staff_keep_the_error(
    api, staff_sam, customer_alice, failed_order
):
    """Finding 7: the stored error (``Type: message``) is for operators only."""
    from subscriptions.visibility import CUSTOMER_PROVISIONING_FAILED_TEXT

    url = f"/api/v1/orders/{failed_order.pk}/"
    assert body(api(staff_sam).get(url))["failure_reason"] == "str: platform unavailable"
    customer_view = body(api(customer_alice).get(url))
    assert customer_view["status"] == "provisioning_failed"
    assert customer_view["failure_reason"] == CUSTOMER_PROVISIONING_FAILED_TEXT
    listed = body(api(customer_alice).get("/api/v1/orders/?status=provisioning_failed"))["results"]
    assert [o["failure_reason"] for o in listed] == [CUSTOMER_PROVISIONING_FAILED_TEXT]


@pytest.mark.django_db
def test_r16_r22_order_failed_by_a_decline_cannot_be_retried(api, staff_sam, declined_order):
    before = snapshot()
    response = api(staff_sam).post(f"/api/v1/orders/{declined_order.pk}/retry/")
    assert response.status_code == 409 and body(response)["code"] == "invalid_order_status"
    assert snapshot() == before
    assert Order.objects.get(pk=declined_order.pk).status == OrderStatus.PROVISIONING_FAILED


@pytest.mark.django_db
def test_actions_on_a_missing_order_are_404(api, staff_sam):
    for action in ("pay", "cancel", "retry"):
        response = api(staff_sam).post(f"/api/v1/orders/987654/{action}/")
        assert response.status_code == 404 and body(response)["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("manual", [True, False], ids=["held", "provisioning"])
def test_r24_a_placed_order_answers_exactly_what_its_get_shows_to_its_placer(
    api, manual, customer_alice, manager_max, alice_account, postpaid_plan, prepaid_plan
):
    """The 201 answers with the staff serializer shared with the outbox: a new order reads
    the same to a customer as to staff. Placed by the customer and by staff, each answer
    equals the GET of the one who placed it."""
    from settings_app.services import postpay_settings_update

    postpay_settings_update(actor=None, postpaid_permission_mode="manual" if manual else "automatic")
    for user, payload in (
        (customer_alice, {"plan": postpaid_plan.pk, "period": "commercial"}),
        (manager_max, {"plan": prepaid_plan.pk, "period": "commercial", "account": alice_account.pk}),
    ):
        client = api(user)
        placed = body(api_place(client, **payload))
        assert placed == body(client.get(f"/api/v1/orders/{placed['id']}/"))


def _answered_as_read(client, response):
    """The creation answer and a GET of the same order, as the same user."""
    created = body(response)
    return created, body(client.get(f"/api/v1/orders/{created['id']}/"))


@pytest.mark.django_db
def test_r6_r24_a_placement_answers_what_a_read_of_the_order_shows(
    api, manual_mode, customer_alice, staff_sam, alice_account, postpaid_plan, prepaid_plan
):
    """Decision 180: a placement answers with the instance it created, as DRF's create does;
    the serializer masks it as for any read. New orders held and not held, as the customer
    and as staff."""
    customer = api(customer_alice)
    held = api_place(customer, plan=postpaid_plan.pk, period="commercial")
    assert held.status_code == 201
    created, read = _answered_as_read(customer, held)
    assert created == read and created["status"] == "waiting_for_approval"

    trial = api_place(customer, plan=prepaid_plan.pk, period="trial")
    assert trial.status_code == 201
    created, read = _answered_as_read(customer, trial)
    assert created == read and created["status"] == "provisioning"

    staff = api(staff_sam)
    placed = api_place(staff, plan=prepaid_plan.pk, period="commercial", account=alice_account.pk)
    assert placed.status_code == 201
    created, read = _answered_as_read(staff, placed)
    assert created == read and created["created_by"] == staff_sam.username


@pytest.mark.django_db
def test_r23_renewal_and_switch_answer_what_a_read_of_the_order_shows(
    api, customer_alice, subscription, prepaid_plan, django_capture_on_commit_callbacks
):
    client = api(customer_alice)
    with django_capture_on_commit_callbacks(execute=True):  # provisioned, so that a switch may follow (R23)
        renewal = client.post(f"/api/v1/subscriptions/{subscription.pk}/renew/")
    assert renewal.status_code == 201
    created, read = _answered_as_read(client, renewal)
    assert created["type"] == "renewal" and created["subscription"] == subscription.pk
    assert created["status"] == "provisioning" and read == {**created, "status": "completed"}

    switch = client.post(f"/api/v1/subscriptions/{subscription.pk}/switch/", {"plan": prepaid_plan.pk}, format="json")
    assert switch.status_code == 201
    created, read = _answered_as_read(client, switch)
    assert created == read and created["type"] == "switch" and created["plan"] == prepaid_plan.pk
