"""Encryption at rest of Convai API keys: the only module that sees a key in clear, besides the
client that sends it. MultiFernet so keys can be rotated: the first key encrypts, all decrypt."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class UndecryptableKey(Exception):
    """A stored key that none of the configured encryption keys can open."""


def key_problems(keys: Sequence[str]) -> list[str]:
    """What is wrong with a list of encryption keys, each value named by its place in the
    list, never by itself. (settings.py makes sure there is at least one.)"""
    problems = []
    for place, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except ValueError:
            problems.append(
                f"CONVAI_KEY_ENCRYPTION_KEYS: value {place} of {len(keys)} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            )
    return problems


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    problems = key_problems(keys)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return MultiFernet([Fernet(key.encode()) for key in keys])


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
    """Re-encrypts a token under the first (newest) encryption key. Raises UndecryptableKey
    when none of the keys opens it."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey(
            "This stored API key cannot be decrypted with any of CONVAI_KEY_ENCRYPTION_KEYS."
        ) from None
