"""``Idempotency-Key`` on order creation (CONTRACT §4).

A key is stored per user with a hash of the body and the first response. A repeat with the
same body gets that response again (same status, same order); a different body — even an
invalid one — is 422 ``idempotency_key_reused``, checked before the body is validated.

Concurrency: the (user, key) row is inserted inside the transaction that places the order,
under a unique constraint. A repeat arriving meanwhile blocks on that insert (PostgreSQL
waits for the first transaction; SQLite's immediate transactions queue at BEGIN), then
finds the committed row and replays it: in no case is a second order created.

A response of 400 (the body never reached the service) is not kept: the key stays free for
a corrected request.

Expiry: a key is remembered for ``IDEMPOTENCY_TTL_HOURS`` (CONTRACT §2, default 24). After
that a repeat is a new request and may create a new order; a beat task deletes expired rows
(``postpay_portal.tasks.purge_idempotency_records_task``).
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from postpay_portal.errors import DomainError
from postpay_portal.models import IdempotencyRecord

from .exceptions import api_exception_handler

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    default_detail = "This Idempotency-Key was already used with a different request body."


def body_fingerprint(request):
    """SHA-256 of the body: of its canonical JSON when it parses, else of its bytes."""
    raw = request.body  # RequestDataTooBig over 1 MiB → 400 malformed_request
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def idempotent(request, view, handle):
    """Run ``handle()`` (which returns a Response or raises) at most once per key."""
    key = request.headers.get(HEADER)
    if key is None:
        return handle()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationError({HEADER: [f"Between 1 and {MAX_KEY_LENGTH} printable characters."]})
    fingerprint = body_fingerprint(request)
    with transaction.atomic():
        record, created = _claim(request.user, key, fingerprint)
        if not created:
            if record.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            return Response(record.response_body, status=record.response_status)
        try:
            response = handle()
        except (DomainError, APIException) as exc:
            response = api_exception_handler(exc, {"request": request, "view": view})
        if response.status_code == 400:
            transaction.set_rollback(True)  # nothing ran: leave the key free
            return response
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
    return response


def _claim(user, key, fingerprint):
    """The new row for this key, or the committed row of an earlier request.

    A row older than ``IDEMPOTENCY_TTL_HOURS`` counts as absent, whether or not the purge
    task has deleted it yet: it is locked and rewritten for this request, which then runs
    as a new one. A concurrent repeat waits on that lock and replays this request's answer.
    """
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(user=user, key=key, request_hash=fingerprint), True
    except IntegrityError:
        record = IdempotencyRecord.objects.select_for_update().get(user=user, key=key)
    now = timezone.now()
    if not record.is_expired(now):
        return record, False
    record.request_hash = fingerprint
    record.response_status = None
    record.response_body = None
    record.created_at = now
    record.save(update_fields=["request_hash", "response_status", "response_body", "created_at"])
    return record, True
