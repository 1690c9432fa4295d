"""Encryption at rest of Convai API keys: the only module that sees a key in clear, besides the
client that sends it. MultiFernet so keys can be rotated: the first key encrypts, all decrypt."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class UndecryptableKey(Exception):
    """A stored key that none of the configured encryption keys can open."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "CONVAI_KEY_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CONVAI_KEY_ENCRYPTION_KEYS))


# Error reports show no variable of these, nor of cryptography's frames below them.
@sensitive_variables()
def encrypt(secret: str) -> str:
    return _current().encrypt(secret.encode()).decode()


@sensitive_variables()
def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey(
            "This stored API key cannot be decrypted with the configured "
            "CONVAI_KEY_ENCRYPTION_KEYS; was a key removed from that list? Enter the API key again."
        ) from None


@sensitive_variables()
def rotate(token: str) -> str:
    """Re-encrypts a token under the first (newest) encryption key."""
    return _current().rotate(token.encode()).decode()
