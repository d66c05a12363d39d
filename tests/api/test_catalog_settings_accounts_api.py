"""Settings, plans, accounts and my account through the API (CONTRACT §4; SPEC R1–R4, R6–R8,
R28, R29, R31)."""

import pytest

from accounts.models import Account, PostpayPermission, User
from audit.models import AuditLogEntry
from tests.support.api import body
from tests.support.state import snapshot

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


# --- settings -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_r1_r2_settings_read_defaults(api, staff_sam):
    response = api(staff_sam).get("/api/v1/settings/postpay/")
    assert body(response) == {"postpaid_permission_mode": "automatic", "trial_requires_approval": False}


@pytest.mark.django_db
def test_r3_r4_patch_one_setting_audits_it_and_keeps_statuses(api, manager_max, held_order):
    """The mode is changed by a manager (R44)."""
    statuses = sorted(Account.objects.values_list("pk", "postpay_permission"))
    response = api(manager_max).patch(
        "/api/v1/settings/postpay/", {"postpaid_permission_mode": "automatic"}, format="json"
    )
    assert response.status_code == 200
    assert body(response) == {"postpaid_permission_mode": "automatic", "trial_requires_approval": False}
    entry = AuditLogEntry.objects.filter(object_type="postpay_settings").latest("id")
    assert (entry.from_value, entry.to_value, entry.actor) == ("manual", "automatic", manager_max)
    assert sorted(Account.objects.values_list("pk", "postpay_permission")) == statuses
    both = api(manager_max).patch("/api/v1/settings/postpay/", {"trial_requires_approval": True}, format="json")
    assert body(both)["trial_requires_approval"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"postpaid_permission_mode": "sometimes"}, "postpaid_permission_mode"),
        ({"trial_requires_approval": "true"}, "trial_requires_approval"),
        ({"trial_requires_approval": 1}, "trial_requires_approval"),
    ],
)
def test_r31_bad_setting_is_400_invalid_and_nothing_changes(api, staff_sam, payload, field):
    before = snapshot()
    response = api(staff_sam).patch("/api/v1/settings/postpay/", payload, format="json")
    assert response.status_code == 400 and list(body(response)["fields"]) == [field]
    assert snapshot() == before


# --- plans --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_create_a_plan_and_everyone_reads_it(api, admin_ada, customer_alice):
    response = api(admin_ada).post(
        "/api/v1/plans/", {"name": "Gold", "billing_model": "postpay", "price": "12.50", "trial_days": 7}, format="json"
    )
    assert response.status_code == 201
    plan = body(response)
    assert plan == {
        "id": plan["id"],
        "name": "Gold",
        "billing_model": "postpay",
        "price": "12.50",
        "currency": "USD",
        "trial_days": 7,
    }
    assert body(api(customer_alice).get(f"/api/v1/plans/{plan['id']}/")) == plan
    assert body(api(customer_alice).get("/api/v1/plans/"))["results"] == [plan]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "", "billing_model": "postpay", "price": "1.00"}, "name"),
        ({"name": "X", "billing_model": "credit", "price": "1.00"}, "billing_model"),
        ({"name": "X", "billing_model": "prepay", "price": "-1"}, "price"),
        ({"name": "X", "billing_model": "prepay", "price": "1.005"}, "price"),
        ({"name": "X", "billing_model": "prepay", "price": "1.00", "trial_days": -1}, "trial_days"),
    ],
)
def test_r31_bad_plan_is_400_invalid_on_its_field(api, admin_ada, payload, field):
    before = snapshot()
    response = api(admin_ada).post("/api/v1/plans/", payload, format="json")
    assert response.status_code == 400 and field in body(response)["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_missing_plan_is_404(api, customer_alice):
    response = api(customer_alice).get("/api/v1/plans/987654/")
    assert response.status_code == 404 and body(response)["code"] == "not_found"


@pytest.mark.django_db
def test_pagination_shape_page_size_and_its_maximum(api, customer_alice):
    from tests.factories import PlanFactory

    PlanFactory.create_batch(205)
    client = api(customer_alice)
    first = body(client.get("/api/v1/plans/?page_size=10"))
    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 205 and len(first["results"]) == 10 and first["previous"] is None
    assert "page=2" in first["next"]
    assert len(body(client.get("/api/v1/plans/?page_size=500"))["results"]) == 200
    last = body(client.get("/api/v1/plans/?page_size=200&page=2"))
    assert len(last["results"]) == 5 and last["next"] is None


# --- accounts -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_r8_staff_create_an_account_at_none(api, staff_sam, manager_max):
    response = api(staff_sam).post(
        "/api/v1/accounts/",
        {"name": "Initech", "email": "ops@initech.example", "account_class": "Enterprise", "manager": "max"},
        format="json",
    )
    assert response.status_code == 201
    account = body(response)
    assert set(account) == ACCOUNT_FIELDS
    assert account["postpay_permission"] == "none" and account["account_class"] == "Enterprise"
    assert account["manager"] == "max" and account["email"] == "ops@initech.example"


@pytest.mark.django_db
def test_r7_account_created_pre_approved(api, manager_max):
    """Pre-approved creation grants postpaid credit: a manager's (R44)."""
    response = api(manager_max).post(
        "/api/v1/accounts/", {"name": "Globex", "postpay_permission": "approved"}, format="json"
    )
    assert body(response)["postpay_permission"] == "approved"
    assert body(response)["account_class"] is None and body(response)["manager"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": ""}, "name"),
        ({"name": "X", "postpay_permission": "declined"}, "postpay_permission"),
        ({"name": "X", "postpay_permission": "under_review"}, "postpay_permission"),
        ({"name": "X", "manager": "nobody"}, "manager"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "email": "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".example"}, "email"),
        ({"name": "X" * 201}, "name"),
        ({"name": "X", "account_class": "C" * 101}, "account_class"),
    ],
)
def test_r31_bad_account_is_400_invalid(api, staff_sam, payload, field):
    before = snapshot()
    response = api(staff_sam).post("/api/v1/accounts/", payload, format="json")
    assert response.status_code == 400 and field in body(response)["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_r28_staff_filter_accounts_by_true_permission(api, staff_sam, declined_order, outsider_oscar):
    declined = body(api(staff_sam).get("/api/v1/accounts/?postpay_permission=declined"))
    assert [a["id"] for a in declined["results"]] == [declined_order.account_id]
    assert body(api(staff_sam).get("/api/v1/accounts/?postpay_permission=under_review"))["count"] == 0
    assert body(api(staff_sam).get("/api/v1/accounts/"))["count"] == 2
    bad = api(staff_sam).get("/api/v1/accounts/?postpay_permission=maybe")
    assert bad.status_code == 400 and "postpay_permission" in body(bad)["fields"]


@pytest.mark.django_db
def test_account_detail_and_missing(api, staff_sam, alice_account):
    assert body(api(staff_sam).get(f"/api/v1/accounts/{alice_account.pk}/"))["name"] == "Alice Ltd"
    assert api(staff_sam).get("/api/v1/accounts/987654/").status_code == 404


@pytest.mark.django_db
def test_patch_name_and_email(api, staff_sam, alice_account):
    response = api(staff_sam).patch(
        f"/api/v1/accounts/{alice_account.pk}/", {"name": "Alice Group", "email": ""}, format="json"
    )
    assert response.status_code == 200
    assert body(response)["name"] == "Alice Group" and body(response)["email"] == ""


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["approved", "none", None])
def test_r7_patch_with_postpay_permission_is_read_only_and_changes_nothing(api, staff_sam, alice_account, value):
    before = snapshot()
    response = api(staff_sam).patch(
        f"/api/v1/accounts/{alice_account.pk}/", {"name": "Renamed", "postpay_permission": value}, format="json"
    )
    assert response.status_code == 400
    assert body(response)["code"] == "postpay_permission_read_only" and "fields" not in body(response)
    assert snapshot() == before


@pytest.mark.django_db
def test_patch_missing_account_is_404_and_bad_name_400(api, staff_sam, alice_account):
    assert api(staff_sam).patch("/api/v1/accounts/987654/", {"name": "X"}, format="json").status_code == 404
    response = api(staff_sam).patch(f"/api/v1/accounts/{alice_account.pk}/", {"name": ""}, format="json")
    assert response.status_code == 400 and "name" in body(response)["fields"]


@pytest.mark.django_db
def test_staff_create_a_customer_login_that_can_get_a_token(api, staff_sam, alice_account):
    response = api(staff_sam).post(
        f"/api/v1/accounts/{alice_account.pk}/users/",
        {"username": "alice.ops", "password": "long-enough-pass-9"},
        format="json",
    )
    assert response.status_code == 201
    created = body(response)
    assert created == {"id": created["id"], "username": "alice.ops", "account": alice_account.pk}
    token = api().post(
        "/api/v1/auth/token/", {"username": "alice.ops", "password": "long-enough-pass-9"}, format="json"
    )
    assert token.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload, field",
    [
        ({"username": "alice", "password": "long-enough-pass-9"}, "username"),
        ({"username": "new", "password": "short"}, "password"),
        ({"username": "has space!", "password": "long-enough-pass-9"}, "username"),
        ({"username": "new"}, "password"),
    ],
)
def test_r31_bad_customer_login_is_400(api, staff_sam, customer_alice, payload, field):
    before = snapshot()
    response = api(staff_sam).post(f"/api/v1/accounts/{customer_alice.account_id}/users/", payload, format="json")
    assert response.status_code == 400 and field in body(response)["fields"]
    assert snapshot() == before


@pytest.mark.django_db
def test_customer_login_of_a_missing_account_is_404(api, staff_sam):
    response = api(staff_sam).post(
        "/api/v1/accounts/987654/users/", {"username": "ghost", "password": "long-enough-pass-9"}, format="json"
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="ghost").exists()


# --- my account ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_account_shows_id_name_and_permission(api, customer_alice, held_order):
    response = api(customer_alice).get("/api/v1/account/")
    assert body(response) == {
        "id": customer_alice.account_id,
        "name": "Alice Ltd",
        "postpay_permission": "under_review",
        # R42: no credit fields for an account that is not approved
        "postpaid_limit": None,
        "postpaid_commitment": None,
        "postpaid_available": None,
    }


@pytest.mark.django_db
def test_r6_declined_reads_under_review_in_my_account(api, customer_alice, declined_order):
    assert Account.objects.get(pk=customer_alice.account_id).postpay_permission == PostpayPermission.DECLINED
    assert body(api(customer_alice).get("/api/v1/account/"))["postpay_permission"] == "under_review"
