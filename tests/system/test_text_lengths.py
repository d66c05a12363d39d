"""R31 (security review finding 4): every text a user can send fits its column on PostgreSQL.

SQLite does not enforce ``varchar(n)``; PostgreSQL does, and a text one character too long
for its column was a 500 (an account with a long name could never reach review: its
operation's Description overflowed). Here the longest valid value goes into every text input
of the API (read from the OpenAPI schema, so a new input is covered or this fails), of the
operator portal's forms and of the services; one character more is a 400 on that field.
"""

import inspect
import string

import pytest
from django import forms
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Account, PostpayPermission
from manual_operations.models import ManualOperation
from subscriptions.models import Order
from tests.factories import AccountFactory, CustomerFactory, PlanFactory, StaffFactory, SuperuserFactory, api_token_for

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


PUBLIC_URL = "https://93.184.216.34/"  # a public address: no DNS needed, not refused as private


def text_of_length(n, fmt=None):
    """A valid value of exactly ``n`` characters (an e-mail address or a URL when ``fmt``
    says so)."""
    if fmt == "url":
        return PUBLIC_URL + "a" * (n - len(PUBLIC_URL))
    if fmt != "email":
        return (string.ascii_letters * (n // 52 + 1))[:n]
    local = "a" * min(64, n - 6)
    rest = n - len(local) - 1 - 4  # "@" and ".com"
    labels = []
    while rest > 0:
        label = min(63, rest)
        if rest - label == 1:  # a label of 0 characters is not allowed: leave 2 for the next
            label -= 1
        labels.append("b" * label)
        rest -= label + 1
    domain = ".".join(labels) + ".com"
    value = f"{local}@{domain}"
    assert len(value) in (n, n - 1), (len(value), n)
    return value if len(value) == n else "a" + value


def _text_property(prop):
    """``(maxLength, format)`` of a free-text property of a request body, else None."""
    for variant in prop.get("oneOf", [prop]):
        dated = variant.get("format") in ("date", "date-time")
        if variant.get("type") == "string" and "enum" not in variant and "pattern" not in variant and not dated:
            if variant.get("maxLength") != 0:
                return variant.get("maxLength"), variant.get("format")
    return None


def api_text_inputs():
    """{(method, path): {field: (maxLength, format)}} from the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if not body:
                continue
            ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            texts = {
                name: text
                for name, prop in components[ref].get("properties", {}).items()
                if (text := _text_property(prop)) is not None
            }
            if texts:
                found[(method, path)] = texts
    return found


@pytest.fixture
def world(manual_mode):
    """A superuser, an operator with the longest username, an account with a customer, and
    two held operations (one to approve, one to decline)."""
    root = SuperuserFactory(username="root")
    manager = StaffFactory(username="m" * 150)
    account = AccountFactory(name="Target")
    plan = PlanFactory(name=text_of_length(200), billing_model="postpay")
    operations = []
    for _name in ("To approve", "To decline"):
        held_account = AccountFactory(name=text_of_length(200))
        customer = CustomerFactory(account=held_account)
        from subscriptions.services import order_place

        order = order_place(actor=customer, account_id=held_account.pk, plan_id=plan.pk, period="commercial")
        operations.append(ManualOperation.objects.get(order=order))
    from events.services import webhook_endpoint_create

    endpoint = webhook_endpoint_create(actor=None, url=PUBLIC_URL, events=["*"])
    return {
        "root": root,
        "manager": manager,
        "account": account,
        "approved": AccountFactory(name="Approved", preapproved=True),
        "plan": plan,
        "operations": operations,
        "endpoint": endpoint,
    }


def _client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    return client


# (method, path) → (url(world), base body(world), the success status, as whom)
API_CASES = {
    ("post", "/api/v1/auth/token/"): (lambda w: "/api/v1/auth/token/", lambda w: {}, 401, None),
    ("post", "/api/v1/plans/"): (
        lambda w: "/api/v1/plans/",
        lambda w: {"billing_model": "postpay", "price": "1.00"},
        201,
        "root",
    ),
    ("post", "/api/v1/accounts/"): (lambda w: "/api/v1/accounts/", lambda w: {}, 201, "root"),
    ("patch", "/api/v1/accounts/{id}/"): (lambda w: f"/api/v1/accounts/{w['account'].pk}/", lambda w: {}, 200, "root"),
    ("post", "/api/v1/accounts/{id}/users/"): (
        lambda w: f"/api/v1/accounts/{w['account'].pk}/users/",
        lambda w: {},
        201,
        "root",
    ),
    ("patch", "/api/v1/accounts/{id}/credit-terms/"): (
        lambda w: f"/api/v1/accounts/{w['approved'].pk}/credit-terms/",
        lambda w: {"postpaid_limit": "1.00"},
        200,
        "root",
    ),
    ("post", "/api/v1/accounts/{id}/payment-hold/"): (
        lambda w: f"/api/v1/accounts/{w['approved'].pk}/payment-hold/",
        lambda w: {"payment_hold": True},
        200,
        "root",
    ),
    ("post", "/api/v1/accounts/{id}/approve-in-advance/"): (
        lambda w: f"/api/v1/accounts/{w['account'].pk}/approve-in-advance/",
        lambda w: {},
        200,
        "root",
    ),
    ("post", "/api/v1/manual-operations/{id}/approve/"): (
        lambda w: f"/api/v1/manual-operations/{w['operations'][0].pk}/approve/",
        lambda w: {},
        200,
        "root",
    ),
    ("post", "/api/v1/webhook-endpoints/"): (
        lambda w: "/api/v1/webhook-endpoints/",
        lambda w: {"events": ["*"]},
        201,
        "root",
    ),
    ("patch", "/api/v1/webhook-endpoints/{id}/"): (
        lambda w: f"/api/v1/webhook-endpoints/{w['endpoint'].pk}/",
        lambda w: {},
        200,
        "root",
    ),
    # An event id is a reference, not a text: one of the longest length names no event.
    ("post", "/api/v1/webhook-endpoints/{id}/replay/"): (
        lambda w: f"/api/v1/webhook-endpoints/{w['endpoint'].pk}/replay/",
        lambda w: {},
        400,
        "root",
    ),
    ("post", "/api/v1/manual-operations/{id}/decline/"): (
        lambda w: f"/api/v1/manual-operations/{w['operations'][1].pk}/decline/",
        lambda w: {"reason": "other"},
        200,
        "root",
    ),
}


def test_every_free_text_input_of_the_api_has_a_maximum_and_a_case_here():
    inputs = api_text_inputs()
    unbounded = {(op, field) for op, fields in inputs.items() for field, (limit, _) in fields.items() if not limit}
    assert not unbounded, f"text inputs without maxLength: {unbounded}"
    assert set(inputs) == set(API_CASES)


@pytest.mark.parametrize("operation", API_CASES)
def test_r31_the_longest_text_of_every_api_input_is_kept_and_one_more_is_400(world, operation):
    fields = api_text_inputs()[operation]
    make_url, make_body, success, who = API_CASES[operation]
    client = _client(world[who]) if who else APIClient()
    method = operation[0]
    for field, (limit, fmt) in fields.items():
        fmt = fmt or ("url" if field == "url" else None)
        too_long = {**make_body(world), field: text_of_length(limit + 1, fmt)}
        response = getattr(client, method)(make_url(world), too_long, format="json")
        assert response.status_code == 400, (field, response.content[:300])
        assert field in response.json()["fields"], (field, response.json())
    longest = {
        **make_body(world),
        **{
            field: text_of_length(limit, fmt or ("url" if field == "url" else None))
            for field, (limit, fmt) in fields.items()
        },
    }
    if operation == ("post", "/api/v1/accounts/"):
        longest["manager"] = world["manager"].username
    response = getattr(client, method)(make_url(world), longest, format="json")
    assert response.status_code == success, response.content[:500]


def test_finding_4_an_account_with_the_longest_names_reaches_review(world):
    """The first gated order of an account named with 200 characters, for a plan named with
    200, opens its operation: the Description is cut to its column."""
    operation = world["operations"][0]
    assert operation.account.postpay_permission == PostpayPermission.UNDER_REVIEW
    assert len(operation.description) <= ManualOperation._meta.get_field("description").max_length
    assert operation.description.startswith(operation.account.name[:99] + "…: postpaid order")
    assert f"#{operation.order_id} for " in operation.description


def test_r31_the_services_keep_the_longest_text_and_refuse_one_more(world):
    from accounts.services import account_create, account_update, account_user_create
    from postpay_portal.errors import InvalidInput
    from subscriptions.services import plan_create

    root = world["root"]
    longest = dict(
        name=text_of_length(200),
        email=text_of_length(254, "email"),
        account_class=text_of_length(100),
        manager=world["manager"].username,
    )
    account = account_create(actor=root, **longest)
    assert Account.objects.get(pk=account.pk).email == longest["email"]
    for field, value in (
        ("name", text_of_length(201)),
        ("email", text_of_length(255, "email")),
        ("account_class", text_of_length(101)),
    ):
        with pytest.raises(InvalidInput) as refused:
            account_create(actor=root, **{**longest, field: value})
        assert field in refused.value.fields
    account_update(actor=root, account_id=account.pk, name=text_of_length(200), email=text_of_length(254, "email"))
    with pytest.raises(InvalidInput):
        account_update(actor=root, account_id=account.pk, email=text_of_length(255, "email"))
    account_user_create(
        actor=root,
        account_id=account.pk,
        username=text_of_length(150),
        password="long-enough-pass-9" + "x" * 100,
        email=text_of_length(254, "email"),
    )
    with pytest.raises(InvalidInput):
        account_user_create(actor=root, account_id=account.pk, username=text_of_length(151), password="long-pass-99")
    plan_create(actor=root, name=text_of_length(200), billing_model="prepay", price="1.00")
    with pytest.raises(InvalidInput):
        plan_create(actor=root, name=text_of_length(201), billing_model="prepay", price="1.00")


# --- the operator portal's forms ----------------------------------------------------------


def _project_admin_forms():
    """Every form class the operator portal's modules define."""
    import accounts.admin
    import events.admin
    import manual_operations.forms
    import settings_app.admin
    import subscriptions.admin

    modules = [accounts.admin, events.admin, manual_operations.forms, settings_app.admin, subscriptions.admin]
    return {
        obj
        for module in modules
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__
    }


def _admin_form_cases(world):
    """form class → (admin URL, other POST data[, the status when saved: a redirect else])."""
    from accounts.admin import AccountCreateForm, CustomerLoginForm
    from events.admin import EndpointChangeForm, EndpointForm, ReplayForm
    from events.models import Event
    from manual_operations.forms import ApproveForm, ApproveWithTermsForm, DeclineForm
    from settings_app.admin import PostpaySettingsForm
    from subscriptions.admin import PlanCreateForm

    account = world["account"]
    approve, decline = world["operations"]
    endpoint = world["endpoint"]
    return {
        AccountCreateForm: ("/admin/accounts/account/add/", {}),
        CustomerLoginForm: (f"/admin/accounts/account/{account.pk}/add-login/", {"password": "long-enough-pass-9"}),
        PlanCreateForm: (
            "/admin/subscriptions/plan/add/",
            {"billing_model": "prepay", "price": "1.00", "trial_days": "0"},
        ),
        ApproveForm: (f"/admin/manual_operations/manualoperation/{approve.pk}/approve/", {}),
        ApproveWithTermsForm: (f"/admin/accounts/account/{account.pk}/approve-in-advance/", {}),
        DeclineForm: (f"/admin/manual_operations/manualoperation/{decline.pk}/decline/", {"reason": "other"}),
        PostpaySettingsForm: ("/admin/settings_app/postpaysettings/1/change/", {"postpaid_permission_mode": "manual"}),
        # Saved: the answer is the page that shows the new secret once (200), not a redirect.
        EndpointForm: ("/admin/events/webhookendpoint/add/", {"events": ["*"]}, 200),
        EndpointChangeForm: (f"/admin/events/webhookendpoint/{endpoint.pk}/change/", {"events": ["*"]}),
        ReplayForm: (
            f"/admin/events/webhookendpoint/{endpoint.pk}/replay/",
            {"after": Event.objects.order_by("id").values_list("id", flat=True).first()},
        ),
    }


# Form fields that take a reference, not a text: they keep the value the case gives them.
REFERENCES = {"after"}


def test_r31_every_operator_form_takes_its_longest_text(world, client):
    """Each form of the operator portal with its text fields at the longest its column
    holds: saved (a redirect), never a 500."""
    cases = _admin_form_cases(world)
    assert _project_admin_forms() == set(cases), "a new operator form needs its case here"
    client.force_login(world["root"])
    for form_class, (url, data, *saved) in cases.items():
        form = form_class()
        texts = {}
        for name, field in form.fields.items():
            if (
                isinstance(field, forms.CharField)
                and not isinstance(field, forms.ChoiceField)
                and name not in REFERENCES
            ):
                limit = field.max_length or _column_limit(form_class, name)
                fmt = "email" if isinstance(field, forms.EmailField) else "url" if name == "url" else None
                texts[name] = text_of_length(limit, fmt)
        response = client.post(url, {**data, **texts})
        assert response.status_code == (saved or [302])[0], (form_class.__name__, response.content[:2000])
        assert b"errorlist" not in response.content, form_class.__name__


def _column_limit(form_class, name):
    """The column a free-text form field writes to (a note is a text column: 10,000, as the API)."""
    return {"note": 10000}.get(name) or pytest.fail(f"{form_class.__name__}.{name} has no maximum")


def test_r31_the_account_change_form_takes_the_longest_name_and_email(world, client):
    client.force_login(world["root"])
    account = world["account"]
    name, email = text_of_length(200), text_of_length(254, "email")
    response = client.post(
        f"/admin/accounts/account/{account.pk}/change/",
        {
            "name": name,
            "email": email,
            "users-TOTAL_FORMS": "0",
            "users-INITIAL_FORMS": "0",
            "users-MIN_NUM_FORMS": "0",
            "users-MAX_NUM_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    account.refresh_from_db()
    assert (account.name, account.email) == (name, email)
    assert Order.objects.count() == 2  # nothing else moved
