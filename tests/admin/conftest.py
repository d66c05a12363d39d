"""Fixtures of the operator-portal tests: logged-in clients per role, and held operations
reached through the real services (STYLE §7)."""

import pytest
from django.contrib.auth.models import Permission

from tests.support.actions import held_for_new_account

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
    """``held_operation_for(name, **account_kwargs)`` → the operation of a new account's first
    gated order (R9; needs manual_mode)."""

    def make(name="Held Co", **account_kwargs):
        return held_for_new_account(postpaid_plan_no_trial, name, **account_kwargs).manual_operation

    return make
