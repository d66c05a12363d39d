"""Failed logins behind a TLS proxy (security review, finding 2).

The client address comes from X-Forwarded-For only when the request's immediate peer is one
of the configured proxies (``POSTPAY_TRUSTED_PROXIES``), walking the hops from the right past
trusted addresses. django-axes counts failures per login and client address and answers
with a backing-off wait; nothing locks an address for everyone.
"""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from postpay_portal.client_ip import client_ip
from tests.factories import PASSWORD, StaffFactory
from tests.servers import ROOT

LOGIN = reverse("admin:login")
PROXY = "10.0.0.2"  # the TLS proxy in front of gunicorn: REMOTE_ADDR of every request through it
PROXY_NETWORKS = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def request_from(remote_addr, forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_never_read(settings):
    settings.POSTPAY_TRUSTED_PROXIES = []
    assert client_ip(request_from(PROXY, "203.0.113.1")) == PROXY
    assert client_ip(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"


def test_a_peer_outside_the_trusted_networks_is_the_client_whatever_it_claims(settings):
    """The finding: with a proxy count, any peer's X-Forwarded-For was believed."""
    settings.POSTPAY_TRUSTED_PROXIES = PROXY_NETWORKS
    assert client_ip(request_from("198.51.100.7", "203.0.113.1")) == "198.51.100.7"
    assert client_ip(request_from("198.51.100.7", "10.0.0.9")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        # the hop the proxy appended (the address it saw), whatever the client claimed before it
        ("203.0.113.9", "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("6.6.6.6,203.0.113.9", "203.0.113.9"),
        # two proxies: the hop the outer one wrote is skipped as trusted
        ("6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        ("6.6.6.6, 2001:db8::5, 2001:db8:ffff::1", "2001:db8::5"),
        # a port after the address, as some proxies write it; an IPv4-mapped address
        ("6.6.6.6, 203.0.113.9:4711", "203.0.113.9"),
        ("[2001:db8::5]:4711", "2001:db8::5"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        # no header (a request from inside, not through the proxy): the proxy itself
        (None, PROXY),
        ("", PROXY),
        # every hop trusted: the left-most, where the request entered
        ("10.1.1.1, 10.0.0.1", "10.1.1.1"),
        # garbage where an address should be: the last address a trusted proxy vouched for
        ("6.6.6.6, not-an-address", PROXY),
        ("6.6.6.6, not-an-address, 10.0.0.1", "10.0.0.1"),
    ],
)
def test_from_a_trusted_proxy_the_client_is_the_right_most_untrusted_hop(settings, forwarded_for, expected):
    settings.POSTPAY_TRUSTED_PROXIES = PROXY_NETWORKS
    assert client_ip(request_from(PROXY, forwarded_for)) == expected


def test_axes_reads_the_client_address_through_the_shared_helper(settings):
    from axes.helpers import get_client_ip_address

    settings.POSTPAY_TRUSTED_PROXIES = PROXY_NETWORKS
    assert get_client_ip_address(request_from(PROXY, "6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert get_client_ip_address(request_from("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def _check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "postpay_portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.subprocess
def test_the_replaced_proxy_count_stops_the_app_with_how_to_migrate():
    result = _check({"POSTPAY_TRUSTED_PROXY_COUNT": "1"})
    assert result.returncode != 0
    assert "POSTPAY_TRUSTED_PROXIES" in result.stderr
    result = _check({"POSTPAY_TRUSTED_PROXIES": "10.0.0.0/8,not-a-network"})
    assert result.returncode != 0 and "'not-a-network' is not a network" in result.stderr
    assert (
        _check({"POSTPAY_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::/32", "POSTPAY_TRUSTED_PROXY_COUNT": "0"}).returncode
        == 0
    )


def login(username, password, forwarded_for=None, remote_addr=PROXY):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client().post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def time_passes(delta):
    """Failures are judged by when they happened: move them into the past."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - delta)


@pytest.mark.django_db
def test_made_up_names_from_one_address_never_lock_out_a_real_login_there(settings):
    """The finding: fifty failures on made-up names from one address (an office behind one
    NAT) locked everyone behind it out, the right password included."""
    StaffFactory(username="victim")
    for n in range(60):
        assert login(f"guess{n}", "wrong-password").status_code == 200

    assert login("victim", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_of_one_login_make_that_login_wait_from_that_address_only(settings):
    settings.POSTPAY_TRUSTED_PROXIES = PROXY_NETWORKS
    StaffFactory(username="manager")
    StaffFactory(username="colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login("manager", "wrong-password", forwarded_for="198.51.100.66").status_code == 200
    locked = login("manager", "wrong-password", forwarded_for="198.51.100.66")
    assert locked.status_code == 429 and locked["Retry-After"] == "60"

    assert login("manager", PASSWORD, forwarded_for="198.51.100.66").status_code == 429  # not even checked
    assert login("manager", PASSWORD, forwarded_for="203.0.113.5").status_code == 302  # the manager elsewhere
    assert login("colleague", PASSWORD, forwarded_for="198.51.100.66").status_code == 302  # others there


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_does_not_escape_the_wait(settings):
    settings.POSTPAY_TRUSTED_PROXIES = []
    StaffFactory(username="manager")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        login("manager", "wrong-password", forwarded_for=f"198.51.100.{attempt}")

    assert login("manager", PASSWORD, forwarded_for="203.0.113.5").status_code == 429


@pytest.mark.django_db
def test_the_wait_doubles_with_each_further_failure_up_to_the_cap(settings):
    settings.AXES_COOLOFF_MINUTES = 4
    StaffFactory(username="manager")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("manager", "wrong-password")
    waits = []
    for _ in range(4):
        locked = login("manager", "wrong-password")  # during the wait: refused, not counted
        assert locked.status_code == 429
        waits.append(int(locked["Retry-After"]))
        time_passes(timedelta(seconds=waits[-1]))
        assert login("manager", "wrong-password").status_code == 429  # checked, failed: a longer wait
    assert [round(w / 60) for w in waits] == [1, 2, 4, 4]

    time_passes(timedelta(minutes=4))
    assert login("manager", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="manager").exists()  # a success starts afresh


@pytest.mark.django_db
def test_tries_during_the_wait_do_not_lengthen_it(settings):
    StaffFactory(username="manager")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("manager", "wrong-password")
    for _ in range(10):
        assert login("manager", "wrong-password").status_code == 429

    time_passes(timedelta(seconds=61))
    assert login("manager", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_wait_page_says_how_long(settings):
    StaffFactory(username="manager")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login("manager", "wrong-password")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Try again in 1 minute;" in text and "as manager" in text


def test_docker_compose_trusts_only_its_proxy_network():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        environment = compose["services"][name]["environment"]
        assert environment["POSTPAY_TRUSTED_PROXIES"] == "${POSTPAY_TRUSTED_PROXIES:-172.16.0.0/12}"
        assert "POSTPAY_TRUSTED_PROXY_COUNT" not in environment and "AXES_IP_FAILURE_LIMIT" not in environment
