"""Failed-login lockout behind a TLS proxy (issue 9, finding 6).

django-axes counts failures per username and client address, and per address alone (password
spraying across usernames). The client address comes from X-Forwarded-For only as far as the
configured number of trusted proxies reaches; with none, X-Forwarded-For is never read.
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from postpay_portal.client_ip import client_ip
from tests.factories import PASSWORD, StaffFactory

LOGIN = reverse("admin:login")
PROXY = "10.0.0.2"  # the TLS proxy in front of gunicorn: REMOTE_ADDR of every request


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_never_read(settings):
    settings.POSTPAY_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("count", "forwarded_for", "expected"),
    [
        # one proxy: the hop it appended (the address it saw), whatever the client claimed before it
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6,203.0.113.9", "203.0.113.9"),
        # two proxies: the right-most hop is the outer proxy's address, the one before it the client's
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        # fewer hops than proxies: every hop was appended by a trusted proxy, the left-most is the client
        (2, "203.0.113.9", "203.0.113.9"),
        # no header (a request from inside, not through the proxy), or garbage where the client should be
        (1, None, PROXY),
        (1, "", PROXY),
        (1, "6.6.6.6, not-an-address", PROXY),
        (1, "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_address_is_the_right_most_hop_minus_the_trusted_proxies(settings, count, forwarded_for, expected):
    settings.POSTPAY_TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from(PROXY, forwarded_for)) == expected


def test_axes_reads_the_client_address_through_the_shared_helper(settings):
    from axes.helpers import get_client_ip_address

    settings.POSTPAY_TRUSTED_PROXY_COUNT = 1
    assert get_client_ip_address(request_from(PROXY, "6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def login(username, password, forwarded_for=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client().post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


@pytest.mark.django_db
def test_behind_the_proxy_an_attackers_failures_do_not_lock_the_real_manager_out(settings):
    settings.POSTPAY_TRUSTED_PROXY_COUNT = 1
    StaffFactory(username="manager")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("manager", "wrong-password", forwarded_for="198.51.100.66")

    assert login("manager", "wrong-password", forwarded_for="198.51.100.66").status_code == 429  # the attacker
    assert login("manager", PASSWORD, forwarded_for="203.0.113.5").status_code == 302  # the manager


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lockout(settings):
    settings.POSTPAY_TRUSTED_PROXY_COUNT = 0
    StaffFactory(username="manager")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login("manager", "wrong-password", forwarded_for=f"198.51.100.{attempt}")

    assert login("manager", PASSWORD, forwarded_for="203.0.113.5").status_code == 429


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_locked_at_the_address_limit(settings):
    """One failure for each of many usernames never reaches the per-login limit; the address
    limit (AXES_IP_FAILURE_LIMIT, default 50) stops it — even a right password from there."""
    assert settings.AXES_IP_FAILURE_LIMIT == 50 and settings.AXES_IP_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    StaffFactory(username="victim")
    for n in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert login(f"guess{n}", "wrong-password").status_code == 200

    assert login("victim", PASSWORD).status_code == 302  # below the limit: a right password still works
    assert login("guess-last", "wrong-password").status_code == 429  # the limit is reached
    assert login("victim", PASSWORD).status_code == 429  # from that address nothing gets in now
    # another address is not affected
    settings.POSTPAY_TRUSTED_PROXY_COUNT = 1
    assert login("victim", PASSWORD, forwarded_for="203.0.113.5").status_code == 302


@pytest.mark.django_db
def test_a_successful_login_does_not_reset_the_address_count(settings):
    """A sprayer holding one valid login of their own must not wipe the address's failures by
    logging in with it: a success resets only that username's failures from that address."""
    settings.AXES_IP_FAILURE_LIMIT = 6
    StaffFactory(username="own-login")
    for n in range(5):
        login(f"guess{n}", "wrong-password")
    assert login("own-login", PASSWORD).status_code == 302

    assert login("guess-next", "wrong-password").status_code == 429


def test_docker_compose_trusts_its_one_tls_proxy():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        assert (
            compose["services"][name]["environment"]["POSTPAY_TRUSTED_PROXY_COUNT"]
            == "${POSTPAY_TRUSTED_PROXY_COUNT:-1}"
        )
