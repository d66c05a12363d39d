"""The client's address, as far as the trusted proxies in front of the app vouch for it.

Behind a TLS proxy every request's REMOTE_ADDR is the proxy's. Each trusted proxy appends
the address it received the request from to X-Forwarded-For, so the right-most
``POSTPAY_TRUSTED_PROXY_COUNT`` hops were written by proxies we trust and the left-most of
them is the client's address; anything further left was written by the client and can be
forged. With no trusted proxy (the default) X-Forwarded-For is never read.

Used by django-axes (``AXES_CLIENT_IP_CALLABLE``) for the failed-login lockout; anything
else that decides by address (e.g. access to ``/metrics``) must use it too.
"""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client address of ``request`` as a string (REMOTE_ADDR when no proxy is trusted,
    when the request did not come through the proxy, or when the hop is not an address)."""
    remote_addr = request.META.get("REMOTE_ADDR")
    trusted = settings.POSTPAY_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote_addr
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote_addr
    # Fewer hops than trusted proxies: the request entered behind the outermost one, and every
    # hop is still a trusted proxy's; the left-most is the address the first of them saw.
    candidate = hops[max(len(hops) - trusted, 0)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr
