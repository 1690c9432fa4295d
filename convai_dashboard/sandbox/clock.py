"""The sandbox world's fixed clock and Convai's date formats.

Generated data never looks at the real clock, so every run on every machine serves the same bytes.
Times are naive UTC, as Convai sends them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

EPOCH = datetime(1970, 1, 1)
# The generated histories end here: the sandbox's "now".
WORLD_NOW = datetime(2026, 11, 1)

MICROS_PER_SECOND = 1_000_000
MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND


def to_micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def interaction_timestamp(moment: datetime) -> str:
    # strftime rather than str(): str() drops ".ffffff" when the microseconds happen to be zero.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def session_date(moment: datetime) -> str:
    return moment.strftime("%d-%m-%Y")


def session_time(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def character_timestamp(moment: datetime) -> str:
    """The Character API's format, e.g. "2023-11-07T02:57:59"."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def session_date_time(micros: int) -> tuple[str, str]:
    """session_date and session_time at once, fast enough for lists of 100,000 sessions."""
    day, micros_of_day = divmod(micros, MICROS_PER_DAY)
    seconds = micros_of_day // MICROS_PER_SECOND
    return _date_of_day(day), f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@lru_cache(maxsize=4096)
def _date_of_day(day: int) -> str:
    return session_date(EPOCH + timedelta(days=day))
