"""The role matrix of every endpoint (CONTRACT §4, SPEC R31): anonymous is 401
``not_authenticated``, a missing role 403 ``permission_denied``, another account's object 404
``not_found`` — exactly as for a missing one."""

import pytest

from tests.api.conftest import body, snapshot

ROLES = ["anonymous", "customer", "other_customer", "staff", "manager"]
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def expect(anonymous=401, customer=200, other_customer=200, staff=200, manager=200):
    return dict(anonymous=anonymous, customer=customer, other_customer=other_customer, staff=staff, manager=manager)


STAFF_ONLY = expect(customer=403, other_customer=403)
STAFF_CREATES = expect(customer=403, other_customer=403, staff=201, manager=201)
OWN_OBJECT = expect(other_customer=404)
OWN_CREATION = expect(customer=201, other_customer=404, staff=201, manager=201)
STAFF_ACTION = expect(customer=403, other_customer=403)
MANAGER_ACTION = expect(customer=403, other_customer=403, staff=403)

# name: (method, path, body(objects, alice_account_id), fixtures, expected status per role)
CASES = {
    "settings_get": ("get", "/api/v1/settings/postpay/", None, [], STAFF_ONLY),
    "settings_patch": ("patch", "/api/v1/settings/postpay/", lambda o, a: {"trial_requires_approval": True}, [], STAFF_ONLY),
    "plans_list": ("get", "/api/v1/plans/", None, [], expect()),
    "plan_get": ("get", "/api/v1/plans/{postpaid_plan}/", None, ["postpaid_plan"], expect()),
    "plan_create": ("post", "/api/v1/plans/",
                    lambda o, a: {"name": "Gold", "billing_model": "postpay", "price": "12.50", "trial_days": 0},
                    [], STAFF_CREATES),
    "accounts_list": ("get", "/api/v1/accounts/", None, [], STAFF_ONLY),
    "account_create": ("post", "/api/v1/accounts/", lambda o, a: {"name": "New Co"}, [], STAFF_CREATES),
    "account_get": ("get", "/api/v1/accounts/{alice}/", None, [], STAFF_ONLY),
    "account_patch": ("patch", "/api/v1/accounts/{alice}/", lambda o, a: {"name": "Alice Group"}, [], STAFF_ONLY),
    "account_user_create": ("post", "/api/v1/accounts/{alice}/users/",
                            lambda o, a: {"username": "alice2", "password": "long-enough-pass-9"}, [], STAFF_CREATES),
    "my_account": ("get", "/api/v1/account/", None, [], expect(staff=403, manager=403)),
    "orders_list": ("get", "/api/v1/orders/", None, [], expect()),
    "order_create": ("post", "/api/v1/orders/",
                     lambda o, a: {"plan": o["postpaid_plan"].pk, "period": "commercial", "account": a},
                     ["postpaid_plan"], OWN_CREATION),
    "order_get": ("get", "/api/v1/orders/{waiting_order}/", None, ["waiting_order"], OWN_OBJECT),
    "order_pay": ("post", "/api/v1/orders/{waiting_order}/pay/", None, ["waiting_order"], STAFF_ACTION),
    "order_cancel": ("post", "/api/v1/orders/{waiting_order}/cancel/", None, ["waiting_order"], OWN_OBJECT),
    "order_retry": ("post", "/api/v1/orders/{failed_order}/retry/", None, ["failed_order"], STAFF_ACTION),
    "subscriptions_list": ("get", "/api/v1/subscriptions/", None, [], expect()),
    "subscription_get": ("get", "/api/v1/subscriptions/{subscription}/", None, ["subscription"], OWN_OBJECT),
    "subscription_renew": ("post", "/api/v1/subscriptions/{subscription}/renew/", None, ["subscription"], OWN_CREATION),
    "subscription_switch": ("post", "/api/v1/subscriptions/{subscription}/switch/",
                            lambda o, a: {"plan": o["prepaid_plan"].pk}, ["subscription", "prepaid_plan"], OWN_CREATION),
    "manual_operations_list": ("get", "/api/v1/manual-operations/", None, [], STAFF_ONLY),
    "manual_operation_approve": ("post", "/api/v1/manual-operations/{operation}/approve/", None, ["operation"],
                                 MANAGER_ACTION),
    "manual_operation_decline": ("post", "/api/v1/manual-operations/{operation}/decline/",
                                 lambda o, a: {"reason": "credit_risk"}, ["operation"], MANAGER_ACTION),
    "audit_log": ("get", "/api/v1/audit-log/", None, [], STAFF_ONLY),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES)
def test_r31_role_matrix(case, role, request, api, personas):
    method, path, make_body, needs, expected = CASES[case]
    objects = {name: request.getfixturevalue(name) for name in needs}
    alice_account = personas["customer"].account_id
    url = path.format(alice=alice_account, **{name: obj.pk for name, obj in objects.items()})
    client = api(personas.get(role))
    payload = make_body(objects, alice_account) if make_body else None
    before = snapshot()
    response = getattr(client, method)(url, payload, format="json")
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert snapshot() == before
    if response.status_code in CODES:
        assert body(response)["code"] == CODES[response.status_code]
        assert set(body(response)) == {"code", "detail"}
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"
