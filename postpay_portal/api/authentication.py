"""How the API knows who calls (CONTRACT §4): a token first, then the portals' session.

Token authentication reads ``Authorization: Token <token>`` and finds the token by its digest
(R46, ``accounts.tokens``). Both classes bind the caller to the log lines (R35):
django-structlog binds ``user_id`` when the request arrives, from the session, and a token is
only checked later, inside the API view.
"""

import structlog
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, get_authorization_header

from accounts.second_factor import second_factor_required
from accounts.tokens import api_token_authenticate

INVALID_TOKEN = "Invalid token."  # an expired or revoked token reads the same


class LoggedTokenAuthentication(TokenAuthentication):
    """knox's header parsing and ``WWW-Authenticate: Token``; the lookup is the project's: one
    query, expired tokens refused (not deleted on a read), "last used" kept up to date."""

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower() != self.authenticate_header(request).lower().encode():
            return None  # no token: the next class (session) may authenticate
        if len(auth) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header: send `Authorization: Token <token>`.")
        try:
            raw = auth[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        token_row = api_token_authenticate(raw)
        if token_row is None or not token_row.user.is_active:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        structlog.contextvars.bind_contextvars(user_id=token_row.user_id)
        return token_row.user, token_row


class SecondFactorSessionAuthentication(SessionAuthentication):
    """The portals' session (with CSRF), except a decider's who has not passed the second
    factor (R45): their password alone reaches no API call, as it reaches no admin page."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if second_factor_required(user) and not _is_verified(request):
            return None
        return result


def _is_verified(request):
    # OTPMiddleware wraps the session's user (request._request.user), not DRF's copy.
    user = request._request.user
    return bool(getattr(user, "is_verified", None) and user.is_verified())


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's ``tokenAuth``: ``Authorization: Token <token>``."""

    target_class = LoggedTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


class SessionScheme(OpenApiAuthenticationExtension):
    """The schema's ``cookieAuth``: the portals' session."""

    target_class = SecondFactorSessionAuthentication
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
