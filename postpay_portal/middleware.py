"""Request ids and client addresses for the logs (R35), and the operator portal's action
selections (R31)."""

import re
import uuid

import structlog
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import models
from django_structlog.middlewares import RequestMiddleware

from postpay_portal.client_ip import client_ip, peer_is_trusted_proxy
from postpay_portal.ids import parse_id

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# A proxy's id is kept when it is a plain token; anything else (too long, spaces, control
# characters) is replaced, so that a log line or a response header never carries it.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class RequestIdMiddleware:
    """Keep the ``X-Request-ID`` a trusted proxy sent (``POSTPAY_TRUSTED_PROXIES``) when it is
    a plain token, else generate one; return it.

    A client's own header is never kept: anyone could then make their requests' log lines
    carry another request's id. Runs before ``RequestLogMiddleware``, which binds the id
    (``DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID`` reads it back from here) as
    ``request_id`` to every log line of the request and to the tasks it enqueues.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get(META_KEY, "")
        if not (VALID_REQUEST_ID.fullmatch(request_id) and peer_is_trusted_proxy(request)):
            request_id = uuid.uuid4().hex
            request.META[META_KEY] = request_id
            request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META
        request.request_id = request_id
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


class RequestLogMiddleware(RequestMiddleware):
    """django-structlog's request logging, with the log's ``ip`` the client's address as the
    trusted proxies vouch for it (``postpay_portal.client_ip``), not the left-most
    X-Forwarded-For hop that any client can write."""

    @classmethod
    def bind_ip(cls, request):
        structlog.contextvars.bind_contextvars(ip=client_ip(request))


class AdminSelectionMiddleware:
    """R31 in the operator portal: an action's selection (``_selected_action``, posted to a
    changelist) keeps only values that can be a primary key of the list's model, so that a
    crafted one — an id past 2^63, a word — reads as "nothing selected" instead of failing
    the query with a 500. Covers every model admin, Django's and third parties' included:
    Django marks each admin view with its ``model_admin``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None or request.method != "POST":
            return None
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        kept = [value for value in selected if can_be_pk(model_admin.model, value)]
        if len(kept) != len(selected):
            post = request.POST.copy()
            post.setlist(ACTION_CHECKBOX_NAME, kept)
            post._mutable = False
            request.POST = post
        return None


def can_be_pk(model, value):
    """Could ``value`` (a posted string) be a primary key of ``model``?"""
    pk = model._meta.pk
    if isinstance(pk, models.IntegerField):  # AutoField and BigAutoField included
        return parse_id(value) is not None
    try:
        pk.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return True
