"""Portal login, logout and password change (CONTRACT §3); who may see portal pages."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PORTAL_PAGES = ["/portal/", "/portal/catalog/", "/portal/orders/", "/portal/subscriptions/", "/portal/password/"]


def test_login_page_has_username_and_password_fields(client):
    response = client.get("/portal/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b'<label for="id_username">' in response.content


def test_customer_logs_in_and_lands_on_the_portal(client, customer_alice):
    response = client.post("/portal/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_login_follows_a_safe_next(client, customer_alice):
    response = client.post("/portal/login/?next=/portal/orders/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/portal/orders/"


def test_wrong_password_shows_the_error_and_logs_nobody_in(client, customer_alice):
    response = client.post("/portal/login/", {"username": "alice", "password": "wrong-password"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_every_portal_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/login/?next={url}"


@pytest.mark.parametrize("url", PORTAL_PAGES)
def test_staff_are_sent_to_the_operator_portal(client, staff_sam, url):
    client.force_login(staff_sam)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_login_without_account_is_refused(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="loose"))
    assert client.get("/portal/").status_code == 403


def test_logout_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/portal/logout/").status_code == 405
    response = alice_client.post("/portal/logout/")
    assert response["Location"] == settings.LOGOUT_REDIRECT_URL
    assert alice_client.get("/portal/")["Location"].startswith("/portal/login/")


def test_password_change_keeps_the_session_and_takes_the_new_password(alice_client, customer_alice):
    response = alice_client.post(
        "/portal/password/",
        {"old_password": PASSWORD, "new_password1": "another-horse-77", "new_password2": "another-horse-77"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    customer_alice.refresh_from_db()
    assert customer_alice.check_password("another-horse-77")
    dashboard = alice_client.get("/portal/")
    assert dashboard.status_code == 200
    assert "Your password was changed." in dashboard.content.decode()


def test_password_change_errors_are_next_to_their_fields(alice_client, customer_alice):
    response = alice_client.post(
        "/portal/password/", {"old_password": "wrong", "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "old_password" in form.errors
    assert b'aria-invalid="true"' in response.content
    customer_alice.refresh_from_db()
    assert customer_alice.check_password(PASSWORD)


def test_a_customer_on_admin_gets_the_admin_refusal_never_a_staff_page(alice_client):
    for url in ["/admin/", "/admin/accounts/account/", "/admin/manual_operations/manualoperation/"]:
        response = alice_client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    page = alice_client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert b"You are authenticated as alice, but are not authorized to access this page" in page.content
    assert b"Site administration" not in page.content


def _fail_logins(client, url, count):
    for _ in range(count):
        client.post(url, {"username": "alice", "password": "wrong-password"})


@pytest.mark.parametrize("fail_at, then_at", [("/admin/login/", "/portal/login/"), ("/portal/login/", "/admin/login/")])
def test_portal_and_admin_share_one_failed_login_limit(client, customer_alice, fail_at, then_at):
    _fail_logins(client, fail_at, settings.AXES_FAILURE_LIMIT)
    response = client.post(then_at, {"username": "alice", "password": PASSWORD})
    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="alice").failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_portal_failures_below_the_limit_do_not_lock(client, customer_alice):
    _fail_logins(client, "/portal/login/", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/portal/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(customer_alice.pk)
