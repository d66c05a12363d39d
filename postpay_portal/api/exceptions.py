"""One exception handler for the whole API (STYLE §4, SPEC R31, CONTRACT §4).

Every error — the domain's, DRF's, Django's — leaves as ``{"code", "detail", "fields"?}``
with the contract's HTTP status; ``fields`` is present exactly when the code is ``invalid``.
An unexpected exception too: it is logged with its traceback and answered 500
``server_error`` in the same shape, never with an HTML page (R31 says no input causes a 500;
if a bug does, a client must still be able to read the answer).
"""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

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
SERVER_ERROR_DETAIL = "The server failed to carry out the request; it has been logged. Try again later."


def error_body(code, detail, fields=None):
    body = {"code": code, "detail": str(detail)}
    if code == "invalid":
        body["fields"] = fields or {}
    return body


def api_exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]. Anything not recognised is a bug: logged with its
    traceback (it must be seen, not dressed up as a client error) and answered 500
    ``server_error``, with whatever the view wrote rolled back."""
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
    request = context.get("request")
    logger.error(
        "Unexpected %s in %s %s",
        type(exc).__name__,
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    set_rollback()
    return server_error_response()


def server_error_response():
    return Response(error_body("server_error", SERVER_ERROR_DETAIL), status=status.HTTP_500_INTERNAL_SERVER_ERROR)


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


def is_api_request(request):
    return request.path_info.startswith("/api/")


# Django's ``handler404``/``handler500`` (root URLconf): what no DRF view answered — an
# exception raised in a middleware or a plain view, a path no pattern matched — reads as the
# contract's JSON under /api/, and as Django's own page elsewhere.


def page_not_found(request, exception):
    if is_api_request(request):
        return JsonResponse(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return JsonResponse(
            error_body("server_error", SERVER_ERROR_DETAIL), status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    return defaults.server_error(request)
