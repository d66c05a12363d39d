"""Request ids for the logs (R35)."""

import re
import uuid

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# A caller's id is kept when it is a plain token; anything else (too long, spaces, control
# characters) is replaced, so that a log line or a response header never carries it.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class RequestIdMiddleware:
    """Keep a valid incoming ``X-Request-ID`` or generate one, and return it.

    Runs before django-structlog's ``RequestMiddleware``, which trusts the header
    (``DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID``) and binds it as ``request_id`` to every
    log line of the request and to the tasks it enqueues.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get(META_KEY, "")
        if not VALID_REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
            request.META[META_KEY] = request_id
            request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META
        request.request_id = request_id
        response = self.get_response(request)
        response[HEADER] = request_id
        return response
