"""Customer self-service: password reset by e-mail (customer logins only), styled error pages
that lead back to the portals, and an order page that refreshes itself while it provisions."""

import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import ApiToken
from subscriptions import views as subscription_views
from subscriptions.services import order_pay
from tests.factories import PASSWORD, ManagerFactory, api_token_for
from tests.support.actions import place_committed

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-horse-42"
RESET = "/portal/password/reset/"


def reset_link(message):
    [link] = re.findall(r"https?://\S+/portal/password/reset/\S+/", message.body)
    return link


# --- password reset -------------------------------------------------------------------------------


def test_the_login_page_and_the_lockout_page_lead_to_the_reset(client, customer_alice):
    assert f'href="{RESET}"' in client.get("/portal/login/").content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/portal/login/", {"username": "alice", "password": "wrong-password"})
    locked = client.post("/portal/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed login attempts" in html and f'href="{RESET}"' in html
    assert "/static/portal/portal.css" in html and 'href="/portal/"' in html and 'href="/admin/"' in html


def test_a_customer_resets_the_password_by_e_mail(client, customer_alice):
    api_token_for(customer_alice)
    response = client.post(RESET, {"email": "ALICE@alice.example"})
    assert response["Location"] == "/portal/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["alice@alice.example"]
    assert message.subject == "Reset your Postpay Portal password"
    link = reset_link(message)
    assert link.startswith(f"{settings.POSTPAY_BASE_URL}/portal/password/reset/")  # never the request's Host

    path = link.removeprefix(settings.POSTPAY_BASE_URL)
    form_page = client.get(path, follow=True)  # Django moves the token out of the URL first
    assert "Set a new password" in form_page.content.decode() and 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/portal/password/reset/complete/"
    assert "Your password is set" in done.content.decode()
    customer_alice.refresh_from_db()
    assert customer_alice.check_password(NEW_PASSWORD)
    assert not ApiToken.objects.filter(user=customer_alice).exists()  # R46: a password change revokes the tokens
    assert "This link is not valid" in client.get(path, follow=True).content.decode()  # used once
    assert Client().post("/portal/login/", {"username": "alice", "password": NEW_PASSWORD}).status_code == 302


def test_staff_cannot_reset_through_the_portal_and_the_page_says_the_same(client, customer_alice):
    manager = ManagerFactory(username="max", email="max@reseller.example")
    for email in ("max@reseller.example", "nobody@nowhere.example"):
        response = client.post(RESET, {"email": email}, follow=True)
        assert response.redirect_chain == [("/portal/password/reset/sent/", 302)]
        assert "If a customer login has this address" in response.content.decode()
    assert mail.outbox == []
    # A link made by hand for the staff login is refused as invalid.
    uid = urlsafe_base64_encode(force_bytes(manager.pk))
    token = default_token_generator.make_token(manager)
    page = client.get(f"/portal/password/reset/{uid}/{token}/", follow=True)
    assert "This link is not valid" in page.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(PASSWORD)


def test_the_password_change_page_stays_at_portal_password(alice_client):
    html = alice_client.get("/portal/password/").content.decode()
    assert 'name="old_password"' in html and 'name="new_password1"' in html and 'name="new_password2"' in html


# --- error pages --------------------------------------------------------------------------------


def test_a_missing_page_is_a_styled_404_with_ways_back(alice_client):
    response = alice_client.get("/portal/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and "/static/portal/portal.css" in html
    assert '<a class="button primary" href="/portal/">Customer portal</a>' in html
    assert '<a class="button" href="/admin/">Operator portal</a>' in html
    assert alice_client.get("/portal/orders/999999/").status_code == 404


def test_a_server_error_is_a_styled_500_with_ways_back(customer_alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(subscription_views, "plan_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(customer_alice)
    response = client.get("/portal/catalog/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "boom" not in html
    assert 'href="/portal/"' in html and 'href="/admin/"' in html


def test_a_login_without_an_account_gets_the_styled_403(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="loose"))
    response = client.get("/portal/")
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


# --- an order page that refreshes itself -------------------------------------------------------------


def test_an_order_page_refreshes_itself_only_while_it_provisions(alice_client, customer_alice, prepaid_plan, staff_sam):
    order = place_committed(customer_alice, prepaid_plan)
    waiting = alice_client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in waiting
    order_pay(actor=staff_sam, order_id=order.pk)  # its task is not run: the order provisions
    html = alice_client.get(f"/portal/orders/{order.pk}/").content.decode()
    assert f'<meta http-equiv="refresh" content="{subscription_views.REFRESH_SECONDS}">' in html
    assert "This page refreshes itself" in html
    assert "<script" not in html  # nothing a Content-Security-Policy without inline scripts forbids
