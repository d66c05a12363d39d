"""R46: API tokens — the one write path that the REST API, both portals' token pages, the
``api_token_create`` command and a password change go through.

A token is 64 random hex characters shown once, in the answer that issues it; the database
keeps knox's SHA-512 digest of it and its first 15 characters (``token_key``, to find the row),
neither of which signs in. Every token expires ``API_TOKEN_TTL_HOURS`` after it was issued.
"""

from datetime import timedelta
from hmac import compare_digest

import structlog
from django.conf import settings
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

from postpay_portal.errors import InvalidInput, NotFound, PermissionDenied

from .models import ApiToken

logger = structlog.get_logger(__name__)

DEFAULT_NAME = "api"
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length
# A longer Authorization value is no token of ours; refused before hashing it.
TOKEN_MAX_LENGTH = 256


def _clean_name(name):
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise InvalidInput.on("name", "A name for the client is required.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput.on("name", f"At most {NAME_MAX_LENGTH} characters.")
    return name


def api_token_create(*, actor, user, name=DEFAULT_NAME):
    """R46: a new token for ``user``, labelled ``name`` (a second one of the same name never
    replaces the first), expiring after ``API_TOKEN_TTL_HOURS``. Returns ``(token row, raw
    token)``; the raw token exists only in this answer.

    R33: a login gets tokens only for itself — a superuser included — so that no page can
    mint another login's token; ``actor=None`` is the ``api_token_create`` command, run by
    whoever operates the server.
    """
    if actor is not None and actor.pk != user.pk:
        raise PermissionDenied("A token is issued only to the login that asks for it.")
    if not user.is_active:
        raise PermissionDenied("An inactive login gets no API token.")
    name = _clean_name(name)
    token_row, raw = ApiToken.objects.create(user, expiry=timedelta(hours=settings.API_TOKEN_TTL_HOURS), name=name)
    logger.info("api_token_issued", token_id=token_row.pk, user_id=user.pk, name=name)
    return token_row, raw


def api_token_revoke(*, actor, token_id):
    """R46: revoke one token. A login revokes its own; a superuser anyone's (R33); any other
    token is reported as missing."""
    tokens = ApiToken.objects.filter(pk=token_id)
    if not actor.is_superuser:
        tokens = tokens.filter(user=actor)
    token_row = tokens.first()
    if token_row is None:
        raise NotFound("No such API token.")
    token_row.delete()
    logger.info("api_token_revoked", token_id=token_id, user_id=token_row.user_id, by=actor.pk)
    return token_row


def api_token_revoke_used(*, token):
    """``POST /api/v1/auth/logout/``: the token the request was sent with, and no other."""
    ApiToken.objects.filter(pk=token.pk).delete()
    logger.info("api_token_revoked", token_id=token.pk, user_id=token.user_id, by=token.user_id)


def api_tokens_revoke_all(*, user):
    """R46: a password change revokes every token of the login."""
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    if revoked:
        logger.info("api_tokens_revoked", user_id=user.pk, count=revoked)
    return revoked


def api_tokens_purge_expired():
    """Expired tokens no longer sign in; their rows are removed by beat."""
    purged, _ = ApiToken.objects.filter(expiry__lte=timezone.now()).delete()
    return purged


def api_token_authenticate(raw):
    """The live token row whose digest is the hash of ``raw`` (its user loaded), else ``None``.

    "Last used" is written when it is older than ``API_TOKEN_LAST_USED_EVERY_SECONDS``, so a
    busy client costs one write a minute, not one a request.
    """
    if not raw or len(raw) > TOKEN_MAX_LENGTH:
        return None
    now = timezone.now()
    digest = hash_token(raw)
    candidates = ApiToken.objects.select_related("user").filter(
        token_key=raw[: CONSTANTS.TOKEN_KEY_LENGTH], expiry__gt=now
    )
    for token_row in candidates:
        if compare_digest(digest, token_row.digest):
            _touch(token_row, now)
            return token_row
    return None


def _touch(token_row, now):
    every = timedelta(seconds=settings.API_TOKEN_LAST_USED_EVERY_SECONDS)
    if token_row.last_used is None or now - token_row.last_used >= every:
        token_row.last_used = now
        ApiToken.objects.filter(pk=token_row.pk).update(last_used=now)
