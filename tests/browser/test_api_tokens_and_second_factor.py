"""R46 and R45 in a real browser: a customer creates an API token on the portal's "API
tokens" page, sees it once, finds it in the list and revokes it; a decider signs in at
/admin/login/ with a password, enrols an authenticator app from the QR code's key, keeps the
backup codes and lands on the page they asked for."""

import os
import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("POSTPAY_TEST_SHOTS")  # a folder to save screenshots in, when set


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def works(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/account/").status_code == 200


def test_r46_a_customer_creates_sees_once_lists_and_revokes_an_api_token(live_server, page, customer_alice):
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="API tokens", exact=True).click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()

    page.get_by_label("Name").fill("billing-sync")
    page.get_by_role("button", name="Create token").click()

    token = page.locator("#new-api-token").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    expect(page.get_by_text("it is shown only this once")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="billing-sync")
    expect(row).to_contain_text("never")
    shot(page, "customer-api-token-created")
    assert works(token)

    page.goto(f"{live_server.url}/portal/api-tokens/")  # the token is not shown again
    expect(page.locator("#new-api-token")).to_have_count(0)
    assert token not in page.content()
    row = page.get_by_role("row").filter(has_text="billing-sync")
    expect(row).not_to_contain_text("never")  # its last use is listed now

    row.get_by_role("button", name="Revoke billing-sync").click()

    expect(page.get_by_text("The API token “billing-sync” is revoked.")).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()
    assert not ApiToken.objects.exists()
    assert not works(token)


def test_r45_a_decider_enrols_from_the_qr_page_and_lands_on_the_page_asked_for(
    live_server, page, settings, manager_max
):
    settings.POSTPAY_REQUIRE_2FA = True
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/admin/accounts/account/")
    page.fill("#id_username", "max")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    qr = page.get_by_role("img", name="QR code of your second factor's key")
    expect(qr).to_be_visible()
    shot(page, "operator-second-factor-qr")
    image = page.request.get(live_server.url + qr.get_attribute("src"))  # with the page's session
    assert image.ok and image.headers["content-type"].startswith("image/svg+xml")
    key = b32decode(page.locator("#totp-secret").inner_text().strip())
    page.get_by_label("Token").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()

    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    shot(page, "operator-second-factor-backup-codes")
    page.get_by_role("link", name="Continue").click()

    expect(page).to_have_url(f"{live_server.url}/admin/accounts/account/")
    expect(page.locator("#changelist")).to_be_visible()
