"""R31: an id is a positive integer below 2^63, wherever it comes from — a path, a body, a
query, an operator's selection in the admin. Anything else names no object: 404
``not_found`` in a path, 400 ``invalid`` in a body, dropped from a selection; never a 500,
and an error under /api/ never answers HTML.

SQLite cannot bind an integer past 2^63 at all (``OverflowError``), where PostgreSQL
compares it and finds nothing: the session runs on PostgreSQL, and
``test_r31_ids_on_sqlite`` runs this module again on SQLite.
"""

import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from drf_spectacular.generators import SchemaGenerator

from manual_operations.services import manual_operation_approve, manual_operation_approve_in_advance
from postpay_portal.errors import DomainError
from postpay_portal.ids import MAX_ID, parse_id
from subscriptions.services import order_cancel, order_place
from tests.servers import ROOT
from tests.support.api import body
from tests.support.state import snapshot

PAST_RANGE = [MAX_ID + 1, 2**64, int("9" * 40)]
CRAFTED_SELECTION = [str(MAX_ID + 1), str(2**64), "9" * 40, "abc", "-1", "1.5", "0", ""]


def test_r31_an_id_is_a_positive_integer_below_2_63():
    assert parse_id("1") == 1 and parse_id(str(MAX_ID)) == MAX_ID
    for text in [str(MAX_ID + 1), "0", "-1", "+1", " 1", "1.5", "1e3", "١", "", "9" * 5000, None, 7]:
        assert parse_id(text) is None, text


def _operations_with_an_id():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if "{id}" in path or "{" in path
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method_path", _operations_with_an_id(), ids=lambda mp: f"{mp[0]} {mp[1]}")
def test_r31_an_id_past_2_63_in_any_api_path_is_404_not_found(method_path, api, admin_ada, customer_alice):
    method, path = method_path
    before = snapshot()
    for user in (admin_ada, customer_alice):
        client = api(user)
        client.raise_request_exception = False
        for bad in PAST_RANGE:
            url = re.sub(r"\{[^}]+\}", str(bad), path)
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code in (404, 403), (url, response.status_code, response.content[:300])
            assert response["Content-Type"] == "application/json", url
            if user is admin_ada:
                assert response.status_code == 404 and body(response)["code"] == "not_found", url
    assert snapshot() == before


@pytest.mark.django_db
def test_r31_approving_in_advance_an_account_id_past_2_63_is_404_and_changes_nothing(api, admin_ada, alice_account):
    """The finding: on SQLite this was a 500 (an HTML page with DJANGO_DEBUG=0)."""
    client = api(admin_ada)
    client.raise_request_exception = False
    before = snapshot()
    response = client.post(f"/api/v1/accounts/{2**64}/approve-in-advance/", {}, format="json")
    assert response.status_code == 404, response.content[:300]
    assert body(response) == {"code": "not_found", "detail": "Not found."}
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", PAST_RANGE)
def test_r31_an_id_past_2_63_in_a_body_or_a_query_is_400_invalid(api, admin_ada, alice_account, postpaid_plan, bad):
    client = api(admin_ada)
    before = snapshot()
    response = client.post("/api/v1/orders/", {"plan": bad, "period": "commercial", "account": alice_account.pk})
    assert response.status_code == 400 and body(response)["code"] == "invalid"
    assert "plan" in body(response)["fields"]
    response = client.get(f"/api/v1/orders/?account={bad}")
    assert response.status_code == 400 and set(body(response)["fields"]) == {"account"}
    assert snapshot() == before


@pytest.mark.django_db
def test_r31_services_refuse_an_id_past_2_63_as_a_missing_object(manager_max, customer_alice, postpaid_plan):
    bad = 2**64
    before = snapshot()
    calls = {
        "not_found": [
            lambda: manual_operation_approve_in_advance(actor=manager_max, account_id=bad),
            lambda: manual_operation_approve(actor=manager_max, operation_id=bad),
            lambda: order_cancel(actor=customer_alice, order_id=bad),
            lambda: order_place(actor=manager_max, account_id=bad, plan_id=postpaid_plan.pk, period="commercial"),
        ],
        "invalid": [
            lambda: order_place(
                actor=customer_alice, account_id=customer_alice.account_id, plan_id=bad, period="commercial"
            ),
        ],
    }
    for code, refusals in calls.items():
        for call in refusals:
            with pytest.raises(DomainError) as refused:
                call()
            assert refused.value.code == code
    assert snapshot() == before


def _admin_actions(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        for action in model_admin.get_actions(request):
            yield model, action


@pytest.mark.django_db
def test_r31_an_admin_action_on_a_crafted_selection_changes_nothing_and_never_fails(
    admin_ada, webhook_delivery, operation, waiting_order
):
    """Every action of every model admin (Django's and third parties' too), with a selection
    of values that cannot be ids: "nothing selected", never a 500 (the test client raises
    the server's exception)."""
    client = Client()
    client.force_login(admin_ada)
    before = snapshot()
    tried = []
    for model, action in _admin_actions(admin_ada):
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.post(url, {"action": action, "index": "0", ACTION_CHECKBOX_NAME: CRAFTED_SELECTION})
        assert response.status_code in (200, 302), (url, action, response.status_code)
        tried.append((model._meta.label, action))
    assert snapshot() == before
    assert ("manual_operations.ManualOperation", "approve_selected") in tried
    assert ("accounts.Account", "approve_in_advance_selected") in tried
    assert ("auth.Group", "delete_selected") in tried


@pytest.mark.django_db
def test_r31_a_crafted_value_beside_a_real_id_leaves_the_real_one_selected(
    admin_ada, operation, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(admin_ada)
    url = "/admin/manual_operations/manualoperation/"
    selection = [str(operation.pk), *CRAFTED_SELECTION]
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"action": "approve_selected", "index": "0", ACTION_CHECKBOX_NAME: selection})
    assert response.status_code == 200
    page = response.content.decode()
    assert f"#{operation.pk}" in page and str(2**64) not in page and "abc" not in page


@pytest.mark.django_db
def test_r31_customer_portal_pages_of_an_id_past_2_63_are_404(customer_alice):
    client = Client(raise_request_exception=False)
    client.force_login(customer_alice)
    for path in ["orders/{}/", "orders/{}/cancel/", "subscriptions/{}/", "subscriptions/{}/renew/"]:
        response = client.get("/portal/" + path.format(2**64))
        assert response.status_code == 404, path


@pytest.mark.django_db
def test_r31_a_portal_order_for_a_plan_id_past_2_63_is_refused_on_the_form(customer_alice, alice_subscription_free):
    client = Client()
    client.force_login(customer_alice)
    before = snapshot()
    response = client.post("/portal/orders/new/", {"plan": str(2**64), "period": "commercial"})
    assert response.status_code in (200, 400) and b"No such plan." in response.content
    response = client.post(f"/portal/subscriptions/{alice_subscription_free.pk}/switch/", {"plan": str(2**64)})
    assert response.status_code in (200, 400)
    assert snapshot() == before


@pytest.fixture
def alice_subscription_free(customer_alice, prepaid_plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_place(
            actor=customer_alice, account_id=customer_alice.account_id, plan_id=prepaid_plan.pk, period="trial"
        )
    order.refresh_from_db()
    return order.subscription


@pytest.mark.django_db
def test_r31_an_api_path_with_a_line_break_is_404_in_the_contract_shape(api, admin_ada):
    """Found by schemathesis: Django's 404 page answered where the catch-all's ``.*`` stopped."""
    client = api(admin_ada)
    for path in ["/api/v1/accounts/%0A/", "/api/v1/accounts/1%0A/", "/api/%0A", "/api/v1/nothing%0Ahere/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json" and body(response)["code"] == "not_found", path


@pytest.mark.django_db
def test_r31_an_unexpected_exception_in_the_api_is_a_json_500_and_is_logged(
    api, admin_ada, alice_account, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("a bug nobody foresaw")

    monkeypatch.setattr("accounts.apis.account_get_for_user", broken)
    client = api(admin_ada)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/api/v1/accounts/{alice_account.pk}/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    answer = body(response)
    assert set(answer) == {"code", "detail"} and answer["code"] == "server_error"
    assert answer["detail"].endswith(".") and "RuntimeError" not in answer["detail"]
    (logged,) = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged.levelno == logging.ERROR


@pytest.mark.django_db
def test_r31_an_exception_outside_a_drf_view_under_api_is_json_elsewhere_html(settings):
    """``handler500``: a middleware's or a plain view's exception (no DRF handler in the way)."""
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF="tests.api.urls_with_a_bug"):
        api_answer = client.get("/api/bug/")
        page = client.get("/bug/")
    assert api_answer.status_code == 500 and api_answer["Content-Type"] == "application/json"
    assert json.loads(api_answer.content)["code"] == "server_error"
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.postgres  # the outer run is on PostgreSQL; this runs the module again on SQLite
def test_r31_ids_on_sqlite():
    assert connection.vendor == "postgresql"
    env = {**os.environ, "POSTPAY_TEST_DB": "sqlite"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not postgres", __file__],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
