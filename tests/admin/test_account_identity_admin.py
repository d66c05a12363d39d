"""The operator portal's account forms refuse what ``accounts.services`` refuses: a name with
a control character (it would break the managers' mails) and a billing e-mail another account
uses, whatever its case (one account identity; the CSV import matches accounts so)."""

import html

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.factories import AccountFactory
from tests.support.state import snapshot

pytestmark = pytest.mark.django_db

ADD = reverse("admin:accounts_account_add")


def change(client, account, **fields):
    return client.post(
        reverse("admin:accounts_account_change", args=[account.pk]),
        {"_save": "Save", "users-TOTAL_FORMS": "0", "users-INITIAL_FORMS": "0", **fields},
        follow=True,
    )


def test_add_account_refuses_a_name_with_a_newline_on_the_name_field(admin_client_for, superuser):
    response = admin_client_for(superuser).post(ADD, {"name": "Evil\nBcc: victim@example.com"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A name cannot contain line breaks, tabs or other control characters."]
    }
    assert Account.objects.count() == 0


def test_add_account_refuses_an_e_mail_another_account_uses_in_any_case(admin_client_for, superuser, alice_account):
    before = snapshot()
    response = admin_client_for(superuser).post(ADD, {"name": "Alice Copy", "email": "Billing@ALICE.example"})
    assert response.status_code == 200
    [message] = response.context["form"].errors["email"]
    assert message.startswith("Another account already uses this billing e-mail address")
    assert snapshot() == before


def test_add_account_accepts_accounts_without_an_e_mail(admin_client_for, superuser):
    client = admin_client_for(superuser)
    for name in ("One", "Two"):
        assert client.post(ADD, {"name": name, "email": ""}).status_code == 302
    assert Account.objects.filter(email="").count() == 2


def test_the_account_page_refuses_an_e_mail_another_account_uses(admin_client_for, superuser, alice_account):
    bolt = AccountFactory(name="Bolt", email="ap@bolt.example")
    before = snapshot()
    response = change(admin_client_for(superuser), bolt, name="Bolt", email="BILLING@alice.example")
    assert "Another account already uses this billing e-mail address" in html.unescape(response.content.decode())
    assert snapshot() == before


def test_the_account_page_refuses_a_name_with_a_control_character(admin_client_for, superuser, alice_account):
    before = snapshot()
    response = change(admin_client_for(superuser), alice_account, name="Alice\tLtd", email="billing@alice.example")
    assert "A name cannot contain line breaks, tabs or other control characters." in response.content.decode()
    assert snapshot() == before
