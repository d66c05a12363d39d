"""The client's address, as far as the proxies in front of the app vouch for it.

Behind a TLS proxy every request's REMOTE_ADDR is the proxy's, and the proxy appends the
address it received the request from to X-Forwarded-For. Anyone can send that header, so it
is read only when the request's immediate peer (REMOTE_ADDR) is in one of the networks of
``POSTPAY_TRUSTED_PROXIES`` (comma-separated CIDRs; empty, the default, reads it never).
Then the hops are walked from the right, each one written by the trusted hop after it,
skipping addresses in trusted networks: the first address outside them is the client's.
Everything further left was written by the client and can be forged.

Used by django-axes (``AXES_CLIENT_IP_CALLABLE``) for the failed-login lockout, by the
logs' ``ip`` and by the request id's trust (``postpay_portal.middleware``); anything else
that decides by address must use it too.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(cidrs):
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def trusted_networks():
    return _networks(tuple(settings.POSTPAY_TRUSTED_PROXIES))


def parse_address(text):
    """An address as a proxy writes it — ``198.51.100.7``, ``2001:db8::5``, with a port
    (``198.51.100.7:4711``, ``[2001:db8::5]:4711``) — or None. An IPv4-mapped IPv6 address
    is its IPv4 address."""
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address):
    return address is not None and any(address in network for network in trusted_networks())


def peer_is_trusted_proxy(request):
    """Is the request's immediate peer one of the configured proxies?"""
    return is_trusted_proxy(parse_address(request.META.get("REMOTE_ADDR")))


def client_ip(request):
    """The client address of ``request`` as a string: REMOTE_ADDR unless that peer is a
    trusted proxy, else the right-most X-Forwarded-For hop outside the trusted networks.
    When every hop is trusted, the left-most (the request came from inside); a hop that is
    not an address ends the walk at the last address a trusted proxy vouched for."""
    remote_addr = request.META.get("REMOTE_ADDR")
    peer = parse_address(remote_addr)
    if not is_trusted_proxy(peer):
        return str(peer) if peer is not None else remote_addr
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)
