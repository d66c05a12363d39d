"""Secrets kept at rest that the app must read back — webhook signing secrets (R34) — are
stored as Fernet tokens (CONTRACT §2 ``POSTPAY_ENCRYPTION_KEYS``).

The keys are comma-separated Fernet keys: the first encrypts, every one decrypts
(``MultiFernet``), so a new key is put first and the old one kept until
``manage.py reencrypt_secrets`` has re-encrypted every token with the new one. Unset, one key
is derived from ``DJANGO_SECRET_KEY`` (HKDF-SHA256). The keys derived from
``DJANGO_SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` always decrypt too, after the configured
ones: an installation that starts setting ``POSTPAY_ENCRYPTION_KEYS`` still reads what the
default encrypted.

A database dump alone therefore reveals no secret: it takes the keys (or the Django secret
key), which live in the environment, not in the database.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DERIVATION_INFO = b"postpay-portal secrets at rest v1"


class SecretUnreadable(Exception):
    """A token no configured key decrypts: the key that encrypted it was removed."""


def derived_key(secret_key):
    """A Fernet key derived from a Django secret key."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DERIVATION_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(material).decode("ascii")


def configured_keys():
    """The keys in order: ``POSTPAY_ENCRYPTION_KEYS`` (or the key derived from the secret
    key), then the keys derived from the secret key and its fallbacks, to decrypt only."""
    derived = [derived_key(key) for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]]
    keys = [*settings.POSTPAY_ENCRYPTION_KEYS, *derived]
    return tuple(dict.fromkeys(keys))  # the first stays first


@lru_cache(maxsize=4)
def _key_ring(keys):
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"POSTPAY_ENCRYPTION_KEYS: key {position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes; make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).'
            )
    return MultiFernet(fernets)


def key_ring():
    return _key_ring(configured_keys())


def encrypt(text):
    """``text`` as a token (ASCII) under the first key."""
    return key_ring().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token):
    try:
        return key_ring().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretUnreadable(
            "A secret at rest cannot be decrypted: the key that encrypted it is no longer in POSTPAY_ENCRYPTION_KEYS "
            "(or DJANGO_SECRET_KEY changed while POSTPAY_ENCRYPTION_KEYS was unset)."
        )


def reencrypt(token):
    """The same secret under the first key (``MultiFernet.rotate``)."""
    try:
        return key_ring().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable("A secret at rest cannot be decrypted with any configured key.")
