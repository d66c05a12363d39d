"""429 ``throttled`` (CONTRACT §4): per login and per address, counted in Django's cache.

The token endpoint has its own two counters (per username asked for, per address); every
other write of the API (POST, PUT, PATCH, DELETE) counts per login and per address. Reads are
not throttled. The rates are ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``API_THROTTLE_*``
variables), read at each request; the counters live in the default cache (``CACHE_URL``),
never in the database. The address is the client's as ``postpay_portal.client_ip`` sees it,
the same one the login lockout counts.
"""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from postpay_portal.client_ip import client_ip

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PostpayRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # DRF binds the rates at import; reading them here lets settings changes take effect.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def key_for(self, ident):
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def ident_of(self, request, view):
        raise NotImplementedError

    def get_cache_key(self, request, view):
        return self.key_for(self.ident_of(request, view))


class TokenPerUsernameThrottle(PostpayRateThrottle):
    """Token requests naming one username, from anywhere (a password guessed from many hosts)."""

    scope = "token_per_username"

    def ident_of(self, request, view):
        data = request.data
        username = data.get("username") if isinstance(data, dict) else None
        if not isinstance(username, str) or not username:
            return None
        # Hashed: the key stays short and plain whatever a client sends as a username.
        return hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()


class TokenPerAddressThrottle(PostpayRateThrottle):
    scope = "token_per_address"

    def ident_of(self, request, view):
        return client_ip(request)


class WritePerLoginThrottle(PostpayRateThrottle):
    scope = "write_per_login"

    def ident_of(self, request, view):
        if request.method not in WRITE_METHODS or not request.user or not request.user.is_authenticated:
            return None
        return str(request.user.pk)


class WritePerAddressThrottle(PostpayRateThrottle):
    scope = "write_per_address"

    def ident_of(self, request, view):
        return client_ip(request) if request.method in WRITE_METHODS else None
