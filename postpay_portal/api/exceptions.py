"""One exception handler for the whole API (STYLE §4, SPEC R31, CONTRACT §4).

Every error — the domain's, DRF's, Django's — leaves as ``{"code", "detail", "fields"?}``
with the contract's HTTP status; ``fields`` is present exactly when the code is ``invalid``.
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from postpay_portal.errors import DomainError

logger = logging.getLogger(__name__)

# DRF exception class → contract code; the HTTP status is the exception's own.
DRF_CODES = [
    (exceptions.ParseError, "malformed_request"),
    (exceptions.UnsupportedMediaType, "malformed_request"),  # not JSON: the contract has no 415
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.Throttled, "throttled"),
]

MALFORMED_DETAIL = "The request body is not JSON, or it is larger than 1 MiB."


def error_body(code, detail, fields=None):
    body = {"code": code, "detail": str(detail)}
    if code == "invalid":
        body["fields"] = fields or {}
    return body


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]. Anything not recognised is left to Django (a
    500 and a log line): a bug must be seen, not dressed up as a client error."""
    if isinstance(exc, DomainError):
        auth_header = getattr(exc, "auth_header", None)  # a 401 says how to authenticate
        return Response(
            exc.as_dict(), status=exc.status, headers={"WWW-Authenticate": auth_header} if auth_header else None
        )
    if isinstance(exc, exceptions.ValidationError):
        return Response(error_body("invalid", "The request is not valid.", _fields(exc.detail)), status=400)
    if isinstance(exc, (RequestDataTooBig, SuspiciousOperation)):
        return Response(error_body("malformed_request", MALFORMED_DETAIL), status=400)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("permission_denied", exceptions.PermissionDenied.default_detail), status=403)
    for klass, code in DRF_CODES:
        if isinstance(exc, klass):
            headers = {}
            if getattr(exc, "auth_header", None):
                headers["WWW-Authenticate"] = exc.auth_header
            if getattr(exc, "wait", None) is not None:
                headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))  # whole seconds, never 0
            if code == "malformed_request":
                return Response(error_body(code, MALFORMED_DETAIL), status=400)
            return Response(error_body(code, exc.detail), status=exc.status_code, headers=headers)
    if isinstance(exc, exceptions.APIException):
        return Response(error_body(exc.default_code, exc.detail), status=exc.status_code)
    return None


def _fields(detail):
    """DRF's nested error detail → ``{"field": ["message", ...]}``."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _messages(value):
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, inner in value.items() for message in _messages(inner)]
    if isinstance(value, (list, tuple)):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the contract's shape too."""
    return JsonResponse(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
