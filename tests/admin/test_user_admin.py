"""The user admin (SPEC R33; security review finding 9): only superusers grant staff, superuser,
groups or permissions; a non-superuser changes no superuser (nor another operator); customer
logins are made only through ``account_user_create``, so the user admin never sets ``account``.
And a refusal of ``account_update`` in the account admin shows only the error."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import Account, User
from manual_operations.groups import MANAGERS_GROUP
from postpay_portal.errors import InvalidInput
from tests.factories import PASSWORD, AccountFactory, CustomerFactory, ManagerFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

PRIVILEGES = ("is_staff", "is_superuser", "groups", "user_permissions")


@pytest.fixture
def user_admin_olga():
    """An operator who may add, view and change users, but is no superuser."""
    olga = StaffFactory(username="olga")
    olga.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_user", "change_user", "add_user"]
        )
    )
    return olga


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def change_post(user, **overrides):
    """A change-form POST as the page would send it, plus whatever a crafted request adds."""
    data = {
        "username": user.username,
        "first_name": "Renamed",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def escalation(account=None):
    managers = Group.objects.get(name=MANAGERS_GROUP)
    decide = Permission.objects.get(codename="decide_manualoperation")
    data = {"is_staff": "on", "is_superuser": "on", "groups": [managers.pk], "user_permissions": [decide.pk]}
    if account is not None:
        data["account"] = account.pk
    return data


def privileges_of(user):
    user.refresh_from_db()
    return (user.is_staff, user.is_superuser, list(user.groups.all()), list(user.user_permissions.all()))


def test_r33_privilege_fields_are_read_only_for_a_non_superuser(client, user_admin_olga):
    customer = CustomerFactory(username="carl")
    client.force_login(user_admin_olga)

    form = client.get(change_url(customer)).context["adminform"].form

    assert not set(PRIVILEGES) & set(form.fields)
    assert "account" not in form.fields
    assert "first_name" in form.fields  # the rest stays editable


def test_r33_a_crafted_post_by_a_non_superuser_grants_nothing(client, user_admin_olga):
    target = CustomerFactory(username="carl")
    other_account = AccountFactory(name="Other Co")
    before = privileges_of(target)
    client.force_login(user_admin_olga)

    response = client.post(change_url(target), change_post(target, **escalation(other_account)))

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.first_name == "Renamed"  # the form was saved ...
    assert privileges_of(target) == before  # ... without a single privilege
    assert target.account.name != "Other Co"


def test_r33_a_non_superuser_cannot_grant_themselves_privileges(client, user_admin_olga):
    client.force_login(user_admin_olga)
    before = privileges_of(user_admin_olga)

    client.post(change_url(user_admin_olga), change_post(user_admin_olga, **escalation()))

    assert privileges_of(user_admin_olga) == before
    assert not user_admin_olga.has_perm("manual_operations.decide_manualoperation")


def test_r33_a_non_superuser_cannot_change_a_superuser_at_all(client, user_admin_olga, superuser):
    client.force_login(user_admin_olga)

    page = client.get(change_url(superuser))
    post = client.post(change_url(superuser), change_post(superuser, is_active=""))
    password = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": "taken-over-123", "password2": "taken-over-123", "usable_password": "true"},
    )

    assert page.status_code == 200 and "Save" not in page.content.decode()  # read-only view
    assert post.status_code == 403 and password.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active and superuser.check_password(PASSWORD)


def test_r33_a_non_superuser_cannot_take_over_another_operator(client, user_admin_olga):
    """Setting a manager's password would hand over the decide permission."""
    manager = ManagerFactory(username="max")
    client.force_login(user_admin_olga)

    password = client.post(
        reverse("admin:auth_user_password_change", args=[manager.pk]),
        {"password1": "taken-over-123", "password2": "taken-over-123", "usable_password": "true"},
    )
    post = client.post(change_url(manager), change_post(manager))

    assert password.status_code == 403 and post.status_code == 403
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD) and manager.first_name != "Renamed"


def test_r33_a_superuser_grants_staff_groups_and_permissions(client, superuser):
    target = UserFactory(username="new-manager")
    client.force_login(superuser)

    response = client.post(change_url(target), change_post(target, **escalation()))

    assert response.status_code == 302
    is_staff, is_superuser, groups, permissions = privileges_of(target)
    assert is_staff and is_superuser and [g.name for g in groups] == [MANAGERS_GROUP]
    assert [p.codename for p in permissions] == ["decide_manualoperation"]


def test_r33_the_user_admin_never_sets_or_changes_a_login_s_account(client, superuser):
    customer = CustomerFactory(username="carl")
    own_account = customer.account
    other = AccountFactory(name="Other Co")
    client.force_login(superuser)

    client.post(change_url(customer), change_post(customer, account=other.pk))
    added = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "sneaky",
            "password1": "sneaky-pass-123",
            "password2": "sneaky-pass-123",
            "usable_password": "true",
            "account": other.pk,
            "_save": "Save",
        },
    )

    customer.refresh_from_db()
    assert customer.account == own_account
    assert added.status_code == 302
    assert User.objects.get(username="sneaky").account is None
    assert "account" not in client.get(change_url(customer)).context["adminform"].form.fields
    assert "account" not in client.get(reverse("admin:accounts_user_add")).context["adminform"].form.fields


def test_a_refusal_of_account_update_shows_only_the_error_and_changes_nothing(client, superuser, monkeypatch):
    account = AccountFactory(name="Stays Co")

    def refuse(**kwargs):
        raise InvalidInput.on("name", "That name is reserved.")

    monkeypatch.setattr("accounts.admin.account_update", refuse)
    client.force_login(superuser)
    url = reverse("admin:accounts_account_change", args=[account.pk])

    response = client.post(
        url,
        {"name": "Reserved", "email": "", "_save": "Save", "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0"},
        follow=True,
    )

    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["That name is reserved."]
    assert not LogEntry.objects.filter(object_id=str(account.pk), content_type__model="account").exists()
    assert Account.objects.get(pk=account.pk).name == "Stays Co"
