"""A password change revokes the login's API tokens, whichever way it is changed
(security review finding 8): the customer portal, the admin's own password page, the admin's change
of another user's password, and ``manage.py changepassword``."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD, CustomerFactory

NEW_PASSWORD = "brand-new-secret-77"

pytestmark = pytest.mark.django_db


def api_token_for(user):
    """A token obtained the way a client does (CONTRACT §4), and proof that it works."""
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": user.get_username(), "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token_works(token)
    return token


def token_works(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/plans/").status_code == 200


def test_changing_the_password_in_the_customer_portal_revokes_the_api_token(client, customer_alice):
    token = api_token_for(customer_alice)
    client.force_login(customer_alice)

    response = client.post(
        reverse("portal:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert not token_works(token)
    assert not ApiToken.objects.filter(user=customer_alice).exists()


def test_a_refused_password_change_keeps_the_token(client, customer_alice):
    token = api_token_for(customer_alice)
    client.force_login(customer_alice)

    response = client.post(
        reverse("portal:password_change"),
        {
            "old_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 200
    assert token_works(token)


def test_an_operator_changing_their_own_password_in_the_admin_revokes_their_token(client, superuser):
    token = api_token_for(superuser)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert not token_works(token)


def test_a_superuser_setting_another_users_password_in_the_admin_revokes_that_users_token(client, superuser):
    customer = CustomerFactory(username="carl")
    token = api_token_for(customer)
    own_token = api_token_for(superuser)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[customer.pk]),
        {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    assert not token_works(token)
    assert token_works(own_token)  # only that user's tokens


def test_manage_py_changepassword_revokes_the_token(customer_alice, monkeypatch):
    from django.contrib.auth.management.commands import changepassword

    token = api_token_for(customer_alice)
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": NEW_PASSWORD)

    call_command("changepassword", "alice", stdout=open("/dev/null", "w"))

    assert not token_works(token)


def test_logging_in_with_the_old_hash_does_not_revoke_the_token(customer_alice):
    """Django re-hashes a password on login when the hasher changed; that is not a change."""
    token = api_token_for(customer_alice)
    customer_alice.refresh_from_db()
    assert customer_alice.check_password(PASSWORD)
    assert token_works(token)
