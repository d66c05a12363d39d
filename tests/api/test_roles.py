"""The role matrix of every endpoint (CONTRACT §4, SPEC R31, R33).

Anonymous is 401 ``not_authenticated``; a missing role or a missing Django permission is 403
``permission_denied`` with nothing changed; another account's object is 404 ``not_found`` —
exactly as for a missing one. R33: every call needs the Django permission the operator
portal asks for the same action — reads the ``view`` permission of the model, writes theirs —
so staff status alone (``bare_staff``) reads and writes nothing, and the demo's "Operators"
group may do what it may do in the admin, not more (no plans, no decisions, no event log).

The table must name every operation of the OpenAPI schema: a new endpoint without its row
fails ``test_r33_the_matrix_covers_every_operation_of_the_schema``.
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.support.api import body
from tests.support.state import snapshot

ROLES = ["anonymous", "customer", "other_customer", "bare_staff", "operator", "manager", "superuser"]
CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def expect(default=200, **per_role):
    """The status each role gets: ``default`` for everybody authenticated, anonymous 401."""
    table = {role: default for role in ROLES}
    table["anonymous"] = 401
    table.update(per_role)
    return table


CUSTOMERS_403 = dict(customer=403, other_customer=403)
# Reads of staff-only resources: the model's view permission, as the admin asks (security
# review, finding 4: staff status alone read everything here that every admin page refused).
STAFF_READS = expect(**CUSTOMERS_403, bare_staff=403)
# Everyone's reads (customers read their own account's objects): staff need the view permission.
READS = expect(bare_staff=403)
# A write the "Operators" group holds the permission of (add/change account, change order,
# change settings): bare staff 403.
OPERATORS_WRITE = expect(**CUSTOMERS_403, bare_staff=403)
OPERATORS_CREATE = expect(201, **CUSTOMERS_403, bare_staff=403)
# Plans are the catalog: only a superuser (or a user granted add_plan) creates them.
CATALOG_CREATE = expect(201, **CUSTOMERS_403, bare_staff=403, operator=403, manager=403)
# Decisions: the decide permission of "Postpay managers".
DECISION = expect(**CUSTOMERS_403, bare_staff=403, operator=403)
OWN_OBJECT = expect(other_customer=404, bare_staff=403)
# Customers act on their own account; staff need add_order / change_order.
OWN_CREATION = expect(201, other_customer=404, bare_staff=403)
OWN_ACTION = expect(other_customer=404, bare_staff=403)
# R34: webhook endpoints and deliveries, reads included, need the webhook permissions
# (group "Webhook managers", held by no demo group; superusers have them).
WEBHOOKS = dict(**CUSTOMERS_403, bare_staff=403, operator=403, manager=403)

# name: (method, path, body(objects, alice_account_id), fixtures, expected status per role)
# name → the 409 a role that may act meets (default: R36's "no review needed").
CONFLICTS = {"account_credit_terms": "credit_terms_require_approval"}

CASES = {
    # R46: every login may revoke the token it calls with.
    "auth_logout": ("post", "/api/v1/auth/logout/", None, [], expect(204)),
    "settings_get": ("get", "/api/v1/settings/postpay/", None, [], STAFF_READS),
    "settings_patch": (
        "patch",
        "/api/v1/settings/postpay/",
        lambda o, a: {"trial_requires_approval": True},
        [],
        OPERATORS_WRITE,
    ),
    "plans_list": ("get", "/api/v1/plans/", None, [], READS),
    "plan_get": ("get", "/api/v1/plans/{postpaid_plan}/", None, ["postpaid_plan"], READS),
    "plan_create": (
        "post",
        "/api/v1/plans/",
        lambda o, a: {"name": "Gold", "billing_model": "postpay", "price": "12.50", "trial_days": 0},
        [],
        CATALOG_CREATE,
    ),
    "accounts_list": ("get", "/api/v1/accounts/", None, [], STAFF_READS),
    "account_create": ("post", "/api/v1/accounts/", lambda o, a: {"name": "New Co"}, [], OPERATORS_CREATE),
    "account_get": ("get", "/api/v1/accounts/{alice}/", None, [], STAFF_READS),
    "account_patch": ("patch", "/api/v1/accounts/{alice}/", lambda o, a: {"name": "Alice Group"}, [], OPERATORS_WRITE),
    "account_user_create": (
        "post",
        "/api/v1/accounts/{alice}/users/",
        lambda o, a: {"username": "alice2", "password": "long-enough-pass-9"},
        [],
        OPERATORS_CREATE,
    ),
    "my_account": (
        "get",
        "/api/v1/account/",
        None,
        [],
        expect(bare_staff=403, operator=403, manager=403, superuser=403),
    ),
    # R36a: customers only; mode Automatically here, so a customer is told no review is needed.
    "my_account_postpay_review": (
        "post",
        "/api/v1/account/postpay-review/",
        None,
        [],
        expect(409, bare_staff=403, operator=403, manager=403, superuser=403),
    ),
    # R36b: the decide permission.
    "account_approve_in_advance": ("post", "/api/v1/accounts/{alice}/approve-in-advance/", None, [], DECISION),
    # R37, R44: terms are a manager's; Alice is not approved, so a manager meets R37's 409.
    "account_credit_terms": (
        "patch",
        "/api/v1/accounts/{alice}/credit-terms/",
        lambda o, a: {"postpaid_limit": "100.00", "reason": "matrix"},
        [],
        expect(409, **CUSTOMERS_403, bare_staff=403, operator=403),
    ),
    # R37: the payment hold is "change account".
    "account_payment_hold": (
        "post",
        "/api/v1/accounts/{alice}/payment-hold/",
        lambda o, a: {"payment_hold": True},
        [],
        OPERATORS_WRITE,
    ),
    "orders_list": ("get", "/api/v1/orders/", None, [], READS),
    "order_create": (
        "post",
        "/api/v1/orders/",
        lambda o, a: {"plan": o["postpaid_plan"].pk, "period": "commercial", "account": a},
        ["postpaid_plan"],
        OWN_CREATION,
    ),
    "order_get": ("get", "/api/v1/orders/{waiting_order}/", None, ["waiting_order"], OWN_OBJECT),
    "order_pay": ("post", "/api/v1/orders/{waiting_order}/pay/", None, ["waiting_order"], OPERATORS_WRITE),
    "order_cancel": ("post", "/api/v1/orders/{waiting_order}/cancel/", None, ["waiting_order"], OWN_ACTION),
    "order_retry": ("post", "/api/v1/orders/{failed_order}/retry/", None, ["failed_order"], OPERATORS_WRITE),
    "subscriptions_list": ("get", "/api/v1/subscriptions/", None, [], READS),
    "subscription_get": ("get", "/api/v1/subscriptions/{subscription}/", None, ["subscription"], OWN_OBJECT),
    "subscription_renew": ("post", "/api/v1/subscriptions/{subscription}/renew/", None, ["subscription"], OWN_CREATION),
    "subscription_switch": (
        "post",
        "/api/v1/subscriptions/{subscription}/switch/",
        lambda o, a: {"plan": o["prepaid_plan"].pk},
        ["subscription", "prepaid_plan"],
        OWN_CREATION,
    ),
    "manual_operations_list": ("get", "/api/v1/manual-operations/", None, [], STAFF_READS),
    "manual_operation_approve": (
        "post",
        "/api/v1/manual-operations/{operation}/approve/",
        None,
        ["operation"],
        DECISION,
    ),
    "manual_operation_decline": (
        "post",
        "/api/v1/manual-operations/{operation}/decline/",
        lambda o, a: {"reason": "credit_risk"},
        ["operation"],
        DECISION,
    ),
    "audit_log": ("get", "/api/v1/audit-log/", None, [], STAFF_READS),
    # R34: the event log is the webhook managers' (the operator portal shows it to no one else).
    # CONTRACT §4: "Events — staff read": the shipped groups hold the event log's view permission.
    "events_list": ("get", "/api/v1/events/", None, [], STAFF_READS),
    "webhook_endpoints_list": ("get", "/api/v1/webhook-endpoints/", None, [], expect(**WEBHOOKS)),
    "webhook_endpoint_create": (
        "post",
        "/api/v1/webhook-endpoints/",
        lambda o, a: {"url": "https://hooks.example.com/new", "events": ["*"]},
        [],
        expect(201, **WEBHOOKS),
    ),
    "webhook_endpoint_get": (
        "get",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/",
        None,
        ["webhook_endpoint"],
        expect(**WEBHOOKS),
    ),
    "webhook_endpoint_patch": (
        "patch",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/",
        lambda o, a: {"description": "ERP"},
        ["webhook_endpoint"],
        expect(**WEBHOOKS),
    ),
    "webhook_endpoint_delete": (
        "delete",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/",
        None,
        ["webhook_endpoint"],
        expect(204, **WEBHOOKS),
    ),
    "webhook_endpoint_rotate_secret": (
        "post",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/rotate-secret/",
        None,
        ["webhook_endpoint"],
        expect(**WEBHOOKS),
    ),
    "webhook_endpoint_deliveries": (
        "get",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/deliveries/",
        None,
        ["webhook_endpoint"],
        expect(**WEBHOOKS),
    ),
    "webhook_endpoint_replay": (
        "post",
        "/api/v1/webhook-endpoints/{webhook_endpoint}/replay/",
        lambda o, a: {"after": o["webhook_delivery"].event_id},
        ["webhook_endpoint", "webhook_delivery"],
        expect(202, **WEBHOOKS),
    ),
    "webhook_delivery_redeliver": (
        "post",
        "/api/v1/webhook-deliveries/{webhook_delivery}/redeliver/",
        None,
        ["webhook_delivery"],
        expect(202, **WEBHOOKS),
    ),
}


@pytest.fixture
def role_users(personas, bare_staff_bea, admin_ada):
    """The demo's roles: "operator" is the "Operators" group (tests.factories.OperatorFactory),
    "manager" is "Postpay managers" + "Operators", as ``seed_demo`` makes them."""
    return {
        "customer": personas["customer"],
        "other_customer": personas["other_customer"],
        "bare_staff": bare_staff_bea,
        "operator": personas["staff"],
        "manager": personas["manager"],
        "superuser": admin_ada,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES)
def test_r31_r33_role_matrix(case, role, request, api, role_users):
    method, path, make_body, needs, expected = CASES[case]
    objects = {name: request.getfixturevalue(name) for name in needs}
    alice_account = role_users["customer"].account_id
    url = path.format(alice=alice_account, **{name: obj.pk for name, obj in objects.items()})
    client = api(role_users.get(role))
    payload = make_body(objects, alice_account) if make_body else None
    before = snapshot()
    response = getattr(client, method)(url, payload, format="json")
    assert response.status_code == expected[role], response.content
    if response.status_code >= 400:
        assert snapshot() == before
    if response.status_code == 409:  # the case's own refusal, met only by a role that may act
        assert body(response)["code"] == CONFLICTS.get(case, "postpay_review_not_needed")
    if response.status_code in CODES:
        assert body(response)["code"] == CODES[response.status_code]
        assert set(body(response)) == {"code", "detail"}
    if response.status_code == 401:
        assert response["WWW-Authenticate"] == "Token"


def _schema_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, re.sub(r"\{[^}]+\}", "{}", path))
        for path, operations in schema["paths"].items()
        for method in operations
        if path.startswith("/api/v1/") and path != "/api/v1/auth/token/"
    }


def test_r33_the_matrix_covers_every_operation_of_the_schema():
    """A new endpoint joins the matrix, or this fails: the permission of every write is
    checked for every role, not only of the endpoints someone remembered."""
    covered = {(method, re.sub(r"\{[^}]+\}", "{}", path)) for method, path, *_ in CASES.values()}
    assert _schema_operations() == covered


# Each staff read of the API and the operator portal's page of the same rows.
READ_AND_ADMIN_PAGE = {
    "settings_get": "/admin/settings_app/postpaysettings/1/change/",  # the single row's page
    "plans_list": "/admin/subscriptions/plan/",
    "accounts_list": "/admin/accounts/account/",
    "orders_list": "/admin/subscriptions/order/",
    "subscriptions_list": "/admin/subscriptions/subscription/",
    "manual_operations_list": "/admin/manual_operations/manualoperation/",
    "audit_log": "/admin/audit/auditlogentry/",
    "events_list": "/admin/events/event/",
    "webhook_endpoints_list": "/admin/events/webhookendpoint/",
}


@pytest.fixture
def shipped_group_users(db, bare_staff_bea, admin_ada):
    """A staff login per group that ``migrate`` ships (postpay_portal/groups.py), alone, and
    the demo's manager (two groups), beside no group and a superuser."""
    from postpay_portal.groups import GROUPS
    from tests.factories import StaffFactory, join_groups

    users = {"no group": bare_staff_bea, "superuser": admin_ada}
    for name in GROUPS:
        user = StaffFactory(username=name.lower().replace(" ", "-"))
        join_groups(user, name)
        users[name] = user
    users["demo manager"] = StaffFactory(username="demo-manager")
    join_groups(users["demo manager"], "Postpay managers", "Operators")
    return users


@pytest.mark.django_db
@pytest.mark.parametrize("case", READ_AND_ADMIN_PAGE)
def test_r33_an_api_read_needs_what_the_operator_portal_asks_for_the_same_rows(
    case, api, shipped_group_users, webhook_endpoint
):
    """Security review, finding 4: whoever the admin refuses a list, the API refuses it too,
    and whoever the admin shows it reads it here — for every group ``migrate`` ships."""
    from django.test import Client

    method, path, *_ = CASES[case]
    path = path.format(webhook_endpoint=webhook_endpoint.pk)
    for name, user in shipped_group_users.items():
        page = Client()
        page.force_login(user)
        admin_status = page.get(READ_AND_ADMIN_PAGE[case]).status_code
        assert admin_status in (200, 403), (name, case, admin_status)
        api_status = api(user).get(path).status_code
        assert api_status == admin_status, (name, case, api_status, admin_status)


@pytest.mark.django_db
def test_r33_the_shipped_groups_keep_the_reads_their_members_need(api, shipped_group_users):
    """Operators run accounts and orders; managers decide with what an operation links to in
    view; webhook managers follow the event log (R34)."""
    needs = {
        "Operators": [
            "/api/v1/accounts/",
            "/api/v1/orders/",
            "/api/v1/manual-operations/",
            "/api/v1/audit-log/",
            "/api/v1/settings/postpay/",
            "/api/v1/events/",
        ],
        "Postpay managers": [
            "/api/v1/manual-operations/",
            "/api/v1/accounts/",
            "/api/v1/orders/",
            "/api/v1/audit-log/",
            "/api/v1/events/",
        ],
        "Webhook managers": ["/api/v1/events/", "/api/v1/webhook-endpoints/"],
    }
    for group, paths in needs.items():
        for path in paths:
            assert api(shipped_group_users[group]).get(path).status_code == 200, (group, path)
