"""What the pages and the store keep in Django's cache: values whose key names everything they
show (a character's stored_version or review_version, a query string, the choices of a form),
so that a key never serves an old value. How long a value is kept bounds only the memory of
values no one asks for again. Outside the layers, as env.py is: pages and history both keep
values here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache

# Each key changes whenever its value would: this bounds only memory.
KEPT_SECONDS = 15 * 60


def kept[T](kind: str, shown: object, compute: Callable[[], T], seconds: int = KEPT_SECONDS) -> T:
    """The value of `kind` for `shown` (everything it depends on, made a key by its repr),
    from the cache, or computed and kept for `seconds` (0: not kept)."""
    key = f"{kind}:{hashlib.sha256(repr(shown).encode()).hexdigest()}"
    # Typed as maybe None, which no value kept here is.
    return cache.get_or_set(key, compute, seconds)  # type: ignore[return-value]
