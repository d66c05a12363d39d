"""The OpenAPI schema validates, and a schemathesis run over all of it — as a customer and as
a manager — meets no 5xx and no response the schema does not describe (SPEC R31)."""

import pytest
import schemathesis
import yaml
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from events.services import webhook_endpoint_create
from postpay_portal.groups import WEBHOOK_MANAGERS_GROUP
from subscriptions.services import order_place
from tests.factories import api_token_for, join_groups
from tests.support.api import CUSTOMER_BODIES

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
def test_schema_is_valid_openapi_3(api):
    response = api().get("/api/schema/")
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)


@pytest.mark.django_db
def test_every_endpoint_documents_its_errors(api):
    schema = yaml.safe_load(api().get("/api/schema/").content)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            if path != "/api/v1/auth/token/":
                assert "401" in codes, (method, path)
            if method in ("post", "patch") and operation.get("requestBody"):
                assert "400" in codes, (method, path)


def _fuzz(schema, user, max_examples):
    """Positive and negative cases for every operation; a customer's bodies go to the
    masking scan of conftest.py (R6)."""
    headers = {"Authorization": f"Token {api_token_for(user)}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    ran, runs_without_negative_data = [], []
    assert len(operations) >= 24
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, max_examples), (GenerationMode.NEGATIVE, max_examples // 2)):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                if not user.is_staff:
                    CUSTOMER_BODIES.append((user.account_id, response.text))

            try:
                run()
            except Unsatisfiable:
                # Nothing to make invalid (no parameters, no body): the positive run covers it.
                assert mode == GenerationMode.NEGATIVE, operation.label
                runs_without_negative_data.append(operation.label)
            ran.append(operation.label)
    return ran, runs_without_negative_data


@pytest.fixture
def wsgi_schema(db):
    """The schema served by the WSGI app in this process, on the test's transaction: like
    Django's test client, keep the request signals from closing the test's connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.slow  # fuzzes the whole schema: tens of seconds
@pytest.mark.django_db
@pytest.mark.parametrize("role", ["customer", "manager"])
def test_r31_schemathesis_finds_no_server_error_and_no_undocumented_response(
    role, wsgi_schema, customer_alice, manager_max, subscription, declined_order, waiting_order, prepaid_plan
):
    """Alice's account is declined, so the customer run also feeds the masking scan. The
    manager is also a webhook manager here, so that the webhook endpoints (R34) are fuzzed
    past their permission check."""
    order_place(actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="trial")
    join_groups(manager_max, WEBHOOK_MANAGERS_GROUP)
    webhook_endpoint_create(actor=None, url="https://hooks.example.com/postpay", events=["*"])
    user = customer_alice if role == "customer" else manager_max
    ran, without_negative = _fuzz(wsgi_schema, user, max_examples=30)
    assert len(set(ran)) >= 24
    assert set(without_negative) <= {
        "GET /api/v1/account/",
        "GET /api/v1/settings/postpay/",
        "POST /api/v1/account/postpay-review/",
    } | {
        label
        for label in ran
        if label.startswith("POST ") and label.endswith(("/pay/", "/cancel/", "/retry/", "/renew/"))
    } | {label for label in ran if label.startswith("GET ") and "{id}" in label}


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/manual-operations/{id}/decline/" in (tmp_path / "schema.yaml").read_text()
