"""Security review, finding 6: the webhook address guard (CONTRACT §2
``WEBHOOK_ALLOW_PRIVATE_URLS``) refuses the deprecated site-local range, and judges an
IPv6 address that wraps an IPv4 one — NAT64 ``64:ff9b::/96``, IPv4-mapped ``::ffff:0:0/96``
— by the IPv4 address it reaches."""

import pytest

from events.models import WebhookEndpoint
from events.sending import address_problem

REFUSED = {
    "fec0::1": "site-local",
    "feff:ffff::1": "site-local",
    "64:ff9b::7f00:1": "127.0.0.1 is a loopback",
    "64:ff9b::a00:1": "10.0.0.1 is a private",
    "64:ff9b::a9fe:a9fe": "169.254.169.254 is a",  # the cloud metadata address
    "64:ff9b::6440:1": "100.64.0.1 is not a public",
    "::ffff:127.0.0.1": "127.0.0.1 is a loopback",
    "::ffff:192.168.1.1": "192.168.1.1 is a private",
    "2002:7f00:1::1": "127.0.0.1 is a loopback",  # 6to4, as before
    "::127.0.0.1": "reserved",  # IPv4-compatible (deprecated), as before
}
ACCEPTED = ["64:ff9b::808:808", "::ffff:8.8.8.8", "2001:4860:4860::8888", "8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_r34_refused_addresses_say_why(address):
    problem = address_problem(address)
    assert problem is not None and REFUSED[address] in problem, problem


@pytest.mark.parametrize("address", ACCEPTED)
def test_r34_a_wrapped_public_ipv4_address_is_accepted(address):
    assert address_problem(address) is None


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["fec0::1", "64:ff9b::7f00:1", "::ffff:10.1.2.3"])
def test_r34_the_api_refuses_an_endpoint_at_such_an_address(api, admin_ada, settings, address):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = api(admin_ada).post(
        "/api/v1/webhook-endpoints/", {"url": f"https://[{address}]/hook", "events": ["*"]}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "private address" in response.json()["fields"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_r34_the_api_accepts_a_nat64_address_of_a_public_host(api, admin_ada, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = api(admin_ada).post(
        "/api/v1/webhook-endpoints/", {"url": "https://[64:ff9b::808:808]/hook", "events": ["*"]}, format="json"
    )
    assert response.status_code == 201, response.content
