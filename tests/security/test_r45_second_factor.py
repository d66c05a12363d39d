"""R45: while POSTPAY_REQUIRE_2FA is on, a decider (staff with the decide permission,
superusers included) passes a TOTP second factor to enter the operator portal — enrolment at
the first login, single-use backup codes — and gets no API token with a password alone.
Other operators and customers are never asked; with the setting off a password is enough."""

from base64 import b32decode
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.second_factor import backup_codes_issue
from tests.factories import PASSWORD
from tests.support.second_factor import admin_login, current_code

pytestmark = pytest.mark.django_db

SETUP = "/admin/second-factor/setup/"
VERIFY = "/admin/second-factor/verify/"


def token_request(username, otp=None):
    payload = {"username": username, "password": PASSWORD}
    if otp is not None:
        payload["otp"] = otp
    return APIClient().post("/api/v1/auth/token/", payload, format="json")


def assert_kept_out(client, urls, gate):
    """Every page answers a redirect to the gate, and none of its content."""
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        target = urlsplit(response["Location"])
        assert target.path == gate, (url, response["Location"])
        assert b"Operator portal" not in response.content


def a_while_ago(user):
    """Time travel past django-otp's delay after a wrong code."""
    earlier = timezone.now() - timedelta(hours=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=earlier)


def assert_let_in(client, urls):
    for url in urls:
        assert client.get(url).status_code == 200, url


# --- the operator portal ------------------------------------------------------------------


def test_r45_a_deciders_password_alone_reaches_no_admin_page(client, require_2fa, manager_max, decider_admin_urls):
    response = admin_login(client, "max")
    assert response.status_code == 302  # the password was right: Django's login signed the session in

    assert_kept_out(client, decider_admin_urls, SETUP)  # first login: enrolment
    # POSTs are refused too, and the API does not take the session either.
    assert client.post(reverse("admin:accounts_apitoken_create"), {"name": "sneaky"}).status_code == 302
    assert not ApiToken.objects.exists()
    assert client.get("/api/v1/manual-operations/").status_code == 401


def test_r45_an_enrolled_deciders_password_alone_is_sent_to_the_code_page(
    client, require_2fa, manager_max, enrol, decider_admin_urls
):
    enrol(manager_max)
    admin_login(client, "max")

    assert_kept_out(client, decider_admin_urls, VERIFY)
    # A password alone cannot add a second device either: the enrolment sends it to the code.
    response = client.get(SETUP)
    assert response.status_code == 302 and urlsplit(response["Location"]).path == VERIFY
    assert TOTPDevice.objects.filter(user=manager_max).count() == 1


def test_r45_a_superuser_is_a_decider_too(client, require_2fa, admin_ada, decider_admin_urls):
    admin_login(client, "ada")
    assert_kept_out(client, decider_admin_urls, SETUP)


def test_r45_the_current_totp_code_lets_the_decider_in_and_lands_on_next(
    client, require_2fa, manager_max, enrol, decider_admin_urls
):
    device = enrol(manager_max)
    changelist = reverse("admin:accounts_account_changelist")
    admin_login(client, "max", next_url=changelist)
    gate = client.get(changelist)

    refused = client.post(gate["Location"], {"code": "000000" if current_code(device) != "000000" else "111111"})
    assert refused.status_code == 200
    assert "not valid" in refused.content.decode()
    assert_kept_out(client, decider_admin_urls, VERIFY)
    # django-otp slows guessing down: right after a wrong code even the right one waits.
    assert client.post(gate["Location"], {"code": current_code(device)}).status_code == 200
    assert_kept_out(client, decider_admin_urls, VERIFY)
    a_while_ago(manager_max)

    response = client.post(gate["Location"], {"code": current_code(device)})

    assert response.status_code == 302 and response["Location"] == changelist
    assert_let_in(client, decider_admin_urls)
    assert client.get("/api/v1/manual-operations/").status_code == 200  # the verified session


def test_r45_a_backup_code_works_once(client, require_2fa, manager_max, enrol, decider_admin_urls):
    enrol(manager_max)
    codes = backup_codes_issue(user=manager_max)
    admin_login(client, "max")

    assert client.post(VERIFY, {"code": codes[0], "next": "/admin/"}).status_code == 302
    assert_let_in(client, decider_admin_urls)
    assert StaticToken.objects.filter(token=codes[0]).count() == 0  # consumed

    client.post(reverse("admin:logout"))
    admin_login(client, "max")
    again = client.post(VERIFY, {"code": codes[0], "next": "/admin/"})
    assert again.status_code == 200 and "not valid" in again.content.decode()
    assert_kept_out(client, decider_admin_urls, VERIFY)
    a_while_ago(manager_max)
    assert client.post(VERIFY, {"code": codes[1], "next": "/admin/"}).status_code == 302
    assert_let_in(client, decider_admin_urls)


def test_r45_enrolment_shows_a_qr_code_then_backup_codes_and_lets_the_decider_in(
    client, require_2fa, manager_max, decider_admin_urls
):
    admin_login(client, "max")
    gate = client.get(reverse("admin:index"))
    start = client.get(gate["Location"])
    assert start.status_code == 200
    prefix = start.context["wizard"]["management_form"].prefix

    generator = client.post(gate["Location"], {f"{prefix}-current_step": "welcome"})
    assert generator.context["wizard"]["steps"].current == "generator"
    secret = generator.context["secret_key"]
    qr = client.get("/admin/second-factor/setup/qrcode/")
    assert qr.status_code == 200 and qr["Content-Type"].startswith("image/svg+xml")

    key = b32decode(secret)
    wrong = client.post(gate["Location"], {f"{prefix}-current_step": "generator", "generator-token": "1"})
    assert wrong.context["wizard"]["steps"].current == "generator"  # refused, nothing made
    assert not TOTPDevice.objects.filter(user=manager_max).exists()
    code = f"{totp(key):06d}"
    done = client.post(gate["Location"], {f"{prefix}-current_step": "generator", "generator-token": code})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert "no-store" in done["Cache-Control"]
    device = TOTPDevice.objects.get(user=manager_max, confirmed=True)
    assert device.bin_key == key
    assert_let_in(client, decider_admin_urls)  # the enrolment verified this session
    # The code typed to enrol is not accepted a second time.
    # The very code, not one computed again: the next 30-second step would give a new, valid one.
    assert token_request("max", otp=code).status_code == 401


# --- the API --------------------------------------------------------------------------------


def test_r45_a_deciders_password_alone_gets_no_token(require_2fa, manager_max, enrol):
    enrol(manager_max)
    for otp in (None, "", "123", "not-a-code"):
        response = token_request("max", otp=otp)
        assert response.status_code == 401, otp
        assert response.json()["code"] == "otp_required"
        assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_r45_a_decider_without_a_device_gets_no_token_either(require_2fa, admin_ada):
    response = token_request("ada")
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    assert not ApiToken.objects.exists()


def test_r45_the_current_totp_code_gets_a_decider_a_token(require_2fa, manager_max, enrol):
    device = enrol(manager_max)

    response = token_request("max", otp=current_code(device))

    assert response.status_code == 200
    assert ApiToken.objects.get().user == manager_max
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/manual-operations/").status_code == 200


def test_r45_a_backup_code_gets_a_token_once(require_2fa, manager_max, enrol):
    enrol(manager_max)
    code = backup_codes_issue(user=manager_max)[3]

    assert token_request("max", otp=code).status_code == 200
    second = token_request("max", otp=code)

    assert second.status_code == 401 and second.json()["code"] == "otp_required"
    assert ApiToken.objects.count() == 1


def test_r45_wrong_password_is_not_authenticated_whatever_the_otp(require_2fa, manager_max, enrol):
    device = enrol(manager_max)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "max", "password": "wrong", "otp": current_code(device)}, format="json"
    )
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert not ApiToken.objects.exists()


# --- who is not asked -------------------------------------------------------------------------


def test_r45_an_operator_without_the_decide_permission_is_not_asked(client, require_2fa, staff_sam):
    response = admin_login(client, "sam", next_url=reverse("admin:accounts_account_changelist"))
    assert response.status_code == 302 and response["Location"] == reverse("admin:accounts_account_changelist")
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_account_changelist")).status_code == 200
    assert token_request("sam").status_code == 200


def test_r45_a_customer_is_never_asked(client, require_2fa, customer_alice):
    response = client.post(reverse("portal:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/api-tokens/").status_code == 200
    assert token_request("alice").status_code == 200


def test_r45_with_the_setting_off_a_decider_signs_in_with_a_password_alone(
    client, settings, manager_max, enrol, decider_admin_urls
):
    settings.POSTPAY_REQUIRE_2FA = False
    enrol(manager_max)  # even with a device

    response = admin_login(client, "max", next_url=reverse("admin:accounts_account_changelist"))

    assert response["Location"] == reverse("admin:accounts_account_changelist")
    assert_let_in(client, decider_admin_urls)
    assert token_request("max").status_code == 200


def test_r45_a_verified_decider_issues_new_backup_codes_and_the_old_ones_stop_working(
    client, require_2fa, manager_max, enrol
):
    """A verified decider's own page offers new backup codes; the old ones stop working."""
    device = enrol(manager_max)
    old = backup_codes_issue(user=manager_max)
    admin_login(client, "max")
    client.post(VERIFY, {"code": current_code(device)})

    page = client.post("/admin/second-factor/")

    new = page.context["codes"]
    assert set(new).isdisjoint(old)
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert StaticToken.objects.filter(token__in=new).count() == 10


def test_r45_a_mistyped_app_code_does_not_slow_down_the_backup_codes(client, require_2fa, manager_max, enrol):
    device = enrol(manager_max)
    code = backup_codes_issue(user=manager_max)[0]
    admin_login(client, "max")
    wrong = "000000" if current_code(device) != "000000" else "111111"

    assert client.post(VERIFY, {"code": wrong}).status_code == 200

    assert client.post(VERIFY, {"code": code, "next": "/admin/"}).status_code == 302
