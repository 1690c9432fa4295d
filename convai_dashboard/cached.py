"""What the pages and the store keep in Django's cache, under keys derived from what the kept
value reads: the versions of the characters it shows, the reader it was made for, the time
zone it was made in, and whatever else it reads, named by the caller. The release is in every
key too (settings.CACHES' KEY_PREFIX). How long a value is kept bounds only the memory of
values no one asks for again. Outside the layers, as env.py is: pages and history both keep
values here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.core.cache import cache
from django.utils import timezone

# Each key changes whenever its value would: this bounds only memory.
KEPT_SECONDS = 15 * 60


class Versioned(Protocol):
    """A character as a key knows it (history.models.ConvaiCharacter)."""

    pk: Any
    stored_version: int
    review_version: int


def versions(characters: Iterable[Versioned], *, review: bool = True) -> list[tuple[int, ...]]:
    """What a key knows of each character: its pk and the versions the store counts up with
    every write of what it holds (stored_version) and of its review data (review_version).
    `review=False` for a value that shows no review data: a status changed then leaves it."""
    if review:
        return [(c.pk, c.stored_version, c.review_version) for c in characters]
    return [(c.pk, c.stored_version) for c in characters]


def reader_key(reader: Any | None) -> object:
    """What a key knows of the reader a value was made for: None for one made for everyone."""
    return None if reader is None else reader.pk


def kept[T](
    kind: str,
    compute: Callable[[], T],
    *,
    characters: Iterable[Versioned],
    reader: Any | None,
    reads: object = (),
    review: bool = True,
    seconds: int = KEPT_SECONDS,
) -> T:
    """The value of `kind` from the cache, or computed and kept for `seconds` (0: not kept).
    It is kept under the `characters` it shows (their versions), the `reader` it was made
    for (None: the same for every reader), the current time zone, and `reads`, everything
    else it depends on (made part of the key by its repr)."""
    shown = (
        versions(characters, review=review),
        reader_key(reader),
        timezone.get_current_timezone_name(),
        reads,
    )
    key = f"{kind}:{hashlib.sha256(repr(shown).encode()).hexdigest()}"
    # Typed as maybe None, which no value kept here is.
    return cache.get_or_set(key, compute, seconds)  # type: ignore[return-value]
