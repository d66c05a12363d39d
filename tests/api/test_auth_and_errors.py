"""Authentication and the one error shape (CONTRACT §4, SPEC R31)."""

import json
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD
from tests.support.api import body
from tests.support.state import snapshot


@pytest.mark.django_db
def test_token_for_username_and_password_authenticates_later_calls(api, customer_alice):
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(body(response)) == {"token", "expires_at"}
    token = body(response)["token"]
    assert ApiToken.objects.get().user == customer_alice
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/account/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_r31_bad_credentials_are_401_not_authenticated(api, customer_alice, password):
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": password}, format="json")
    if password:
        assert response.status_code == 401
        assert body(response)["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"
    else:
        assert response.status_code == 400
        assert body(response)["code"] == "invalid"
        assert "password" in body(response)["fields"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_token_endpoint_missing_fields_is_400_invalid(api):
    response = api().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert body(response)["code"] == "invalid"
    assert set(body(response)["fields"]) == {"username", "password"}


@pytest.mark.django_db
def test_r31_invalid_token_is_401(customer_alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/orders/")
    assert response.status_code == 401
    assert body(response) == {"code": "not_authenticated", "detail": "Invalid token."}


@pytest.mark.django_db
def test_session_authentication_works_and_needs_csrf_for_writes(customer_alice, postpaid_plan):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(customer_alice)
    assert client.get("/api/v1/account/").status_code == 200
    before = snapshot()
    response = client.post("/api/v1/orders/", {"plan": postpaid_plan.pk, "period": "commercial"}, format="json")
    assert response.status_code == 403
    assert body(response)["code"] == "permission_denied"
    assert snapshot() == before


@pytest.mark.django_db
def test_r31_malformed_json_is_400_malformed_request_and_changes_nothing(api, customer_alice):
    before = snapshot()
    response = api(customer_alice).post("/api/v1/orders/", data='{"plan": 1,', content_type="application/json")
    assert response.status_code == 400
    assert set(body(response)) == {"code", "detail"}
    assert body(response)["code"] == "malformed_request"
    assert snapshot() == before


@pytest.mark.django_db
def test_body_that_is_not_json_is_400_malformed_request(api, admin_ada):
    response = api(admin_ada).post("/api/v1/plans/", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert body(response)["code"] == "malformed_request"


@pytest.mark.django_db
@pytest.mark.parametrize("idempotency_key", [None, "big-body"])
def test_r31_body_over_one_mib_is_400_malformed_request(api, customer_alice, postpaid_plan, idempotency_key):
    big = json.dumps({"plan": postpaid_plan.pk, "period": "commercial", "padding": "x" * (1024 * 1024)})
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    before = snapshot()
    response = api(customer_alice).post("/api/v1/orders/", data=big, content_type="application/json", **headers)
    assert response.status_code == 400
    assert body(response)["code"] == "malformed_request"
    assert snapshot() == before


@pytest.mark.django_db
def test_body_just_under_one_mib_is_accepted(api, customer_alice, postpaid_plan):
    payload = {"plan": postpaid_plan.pk, "period": "commercial", "padding": ""}
    payload["padding"] = "x" * (1024 * 1024 - len(json.dumps(payload)) - 10)
    response = api(customer_alice).post("/api/v1/orders/", data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_unknown_api_path_is_404_in_the_contract_shape(api, customer_alice):
    response = api(customer_alice).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert body(response) == {"code": "not_found", "detail": "Not found."}


@pytest.mark.django_db
def test_method_not_allowed_keeps_the_error_shape(api, customer_alice):
    response = api(customer_alice).delete("/api/v1/orders/")
    assert response.status_code == 405
    assert body(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_page_past_the_end_is_404_not_found(api, customer_alice):
    response = api(customer_alice).get("/api/v1/plans/?page=9")
    assert response.status_code == 404
    assert body(response)["code"] == "not_found"


@pytest.mark.django_db
def test_schema_and_docs_are_public(api):
    schema = api().get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/orders/" in schema.content
    docs = api().get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    # Offline: the UI's scripts come from drf-spectacular-sidecar, served by the app itself.
    scripts = re.findall(rb'src="([^"]+\.js)"', docs.content)
    assert scripts and all(src.startswith(b"/static/drf_spectacular_sidecar/") for src in scripts)
    assert b"".join(Client().get(scripts[0].decode()).streaming_content)[:100]


@pytest.mark.django_db
def test_a_login_locked_out_by_axes_is_401_even_with_the_right_password(api, customer_alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api().post("/api/v1/auth/token/", {"username": "alice", "password": "wrong-password"}, format="json")
    response = api().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 401
    assert body(response)["code"] == "not_authenticated"
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("idempotency_key", [None, "deep"])
def test_r31_deeply_nested_json_is_400_malformed_request(api, customer_alice, idempotency_key):
    deep = "[" * 200_000 + "]" * 200_000
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    response = api(customer_alice).post("/api/v1/orders/", data=deep, content_type="application/json", **headers)
    assert response.status_code == 400
    assert body(response)["code"] == "malformed_request"


@pytest.mark.django_db
def test_r31_an_api_path_with_a_newline_is_a_json_404(api, customer_alice):
    response = api(customer_alice).get("/api/v1/accounts/%0A/")
    assert response.status_code == 404
    assert body(response) == {"code": "not_found", "detail": "Not found."}
