"""R44: every action that grants postpaid credit needs the decide permission — in the service
(so that a task, a command or a new face cannot skip it) and early in the API — and changes
nothing when refused. Operators keep everything else (R33's matrix covers the rest)."""

import pytest

from accounts.services import account_create, account_credit_terms_update
from manual_operations.services import (
    manual_operation_approve,
    manual_operation_approve_in_advance,
    manual_operation_decline,
)
from postpay_portal.errors import PermissionDenied
from settings_app.services import postpay_settings_update
from tests.factories import AccountFactory, CustomerFactory, OperatorFactory
from tests.support.actions import place
from tests.support.api import body
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(manual_mode, postpaid_plan):
    fresh = AccountFactory(name="Fresh Co")
    approved = AccountFactory(name="Approved Co", preapproved=True)
    held = place(CustomerFactory(username="helda", account=AccountFactory(name="Held Co")), postpaid_plan)
    return {"fresh": fresh, "approved": approved, "operation": held.manual_operation}


SERVICE_ACTIONS = {
    "decide: approve": lambda actor, w: manual_operation_approve(actor=actor, operation_id=w["operation"].pk),
    "decide: decline": lambda actor, w: manual_operation_decline(
        actor=actor, operation_id=w["operation"].pk, reason="other"
    ),
    "approve in advance": lambda actor, w: manual_operation_approve_in_advance(actor=actor, account_id=w["fresh"].pk),
    "create pre-approved": lambda actor, w: account_create(actor=actor, name="Granted Co", preapproved=True),
    "credit terms": lambda actor, w: account_credit_terms_update(
        actor=actor, account_id=w["approved"].pk, postpaid_limit="1000000", reason="x"
    ),
    "change the mode": lambda actor, w: postpay_settings_update(actor=actor, postpaid_permission_mode="automatic"),
}


@pytest.mark.parametrize("action", SERVICE_ACTIONS)
def test_r44_services_refuse_credit_granting_actions_to_operators_without_the_decide_permission(world, action):
    operator = OperatorFactory(username="olga")  # "Operators": accounts, payments, settings
    before = snapshot()
    with pytest.raises(PermissionDenied):
        SERVICE_ACTIONS[action](operator, world)
    assert snapshot() == before


def test_r44_operators_keep_everything_else(world, prepaid_plan):
    from accounts.services import account_payment_hold_set
    from subscriptions.services import order_pay

    operator = OperatorFactory(username="olga")
    account_create(actor=operator, name="Plain Co")  # at `none`
    postpay_settings_update(actor=operator, trial_requires_approval=True)  # the trial setting
    postpay_settings_update(actor=operator, postpaid_permission_mode="manual")  # the current mode: no change
    account_payment_hold_set(actor=operator, account_id=world["approved"].pk, payment_hold=True)
    customer = CustomerFactory(username="payer", account=AccountFactory(name="Payer Co"))
    order_pay(actor=operator, order_id=place(customer, prepaid_plan).pk)


API_ACTIONS = {
    "decide: approve": lambda w: ("post", f"/api/v1/manual-operations/{w['operation'].pk}/approve/", {}),
    "decide: decline": lambda w: (
        "post",
        f"/api/v1/manual-operations/{w['operation'].pk}/decline/",
        {"reason": "other"},
    ),
    "approve in advance": lambda w: ("post", f"/api/v1/accounts/{w['fresh'].pk}/approve-in-advance/", {}),
    "create pre-approved": lambda w: (
        "post",
        "/api/v1/accounts/",
        {"name": "Granted", "postpay_permission": "approved"},
    ),
    "credit terms": lambda w: (
        "patch",
        f"/api/v1/accounts/{w['approved'].pk}/credit-terms/",
        {"postpaid_limit": "1000000", "reason": "x"},
    ),
    "change the mode": lambda w: ("patch", "/api/v1/settings/postpay/", {"postpaid_permission_mode": "automatic"}),
}


@pytest.mark.parametrize("action", API_ACTIONS)
def test_r44_the_api_refuses_credit_granting_actions_403_and_changes_nothing(api, world, action):
    operator = OperatorFactory(username="olga")
    method, url, payload = API_ACTIONS[action](world)
    before = snapshot()
    response = getattr(api(operator), method)(url, payload, format="json")
    assert (response.status_code, body(response)["code"]) == (403, "permission_denied")
    assert snapshot() == before


def test_r44_sending_the_current_mode_is_no_change_and_needs_no_decide_permission(api, manual_mode):
    operator = OperatorFactory(username="olga")
    response = api(operator).patch("/api/v1/settings/postpay/", {"postpaid_permission_mode": "manual"}, format="json")
    assert response.status_code == 200
