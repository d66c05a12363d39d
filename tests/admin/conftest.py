"""Fixtures of the operator-portal tests: logged-in clients per role, and held operations
reached through the real services (STYLE §7)."""

import pytest
from django.contrib.auth.models import Permission

from manual_operations.models import ManualOperation
from subscriptions.services import order_place
from tests.factories import AccountFactory, CustomerFactory

OPERATOR_VIEW_PERMISSIONS = [
    "view_account",
    "view_accountclass",
    "view_manualoperation",
    "view_order",
    "view_subscription",
    "view_plan",
    "view_postpaysettings",
    "view_auditlogentry",
]


@pytest.fixture
def operator_sam(bare_staff_bea):
    """Staff who may view everything and change nothing: no decide, add or change permission."""
    bare_staff_bea.user_permissions.add(*Permission.objects.filter(codename__in=OPERATOR_VIEW_PERMISSIONS))
    return bare_staff_bea


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def held_operation_for(postpaid_plan_no_trial):
    """R9: a customer's first gated order opens an operation (needs manual_mode)."""

    def make(name="Held Co", **account_kwargs):
        account = AccountFactory(name=name, **account_kwargs)
        customer = CustomerFactory(account=account)
        order = order_place(
            actor=customer, account_id=account.pk, plan_id=postpaid_plan_no_trial.pk, period="commercial"
        )
        return ManualOperation.objects.get(order=order)

    return make
