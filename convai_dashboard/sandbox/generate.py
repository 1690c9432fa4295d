"""Deterministic generated chat histories: cheap session metadata, transcripts made on demand.

A session's transcript is rebuilt from a seed derived from its character and session ID whenever it
is asked for, so a character can have 100,000 sessions without holding any transcript in memory.
"""

from __future__ import annotations

import random
from array import array
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from convai_dashboard.sandbox.clock import (
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    WORLD_NOW,
    character_timestamp,
    from_micros,
    interaction_timestamp,
    session_date_time,
    to_micros,
)
from convai_dashboard.sandbox.dialogue import Exchange, compose_session
from convai_dashboard.sandbox.personas import Persona

MICROS_PER_HOUR = 3_600 * MICROS_PER_SECOND
HISTORY_DAYS = 548  # about eighteen months before WORLD_NOW
MAX_INTERACTIONS = 60
_NOW_MICROS = to_micros(WORLD_NOW)

# Players' activity by UTC hour: quiet in the European night, busiest in the evenings.
_HOUR_CUM_WEIGHTS = list(
    accumulate((3, 2, 2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7, 7, 8, 9, 10, 10, 9, 8, 6, 4))
)


@dataclass(frozen=True)
class FixedSession:
    """A hand-written session placed at a given position (0 = newest) of a generated history."""

    session_id: str
    position: int
    exchanges: tuple[tuple[float, Exchange], ...]  # (seconds after the session start, exchange)


class GeneratedHistory:
    """All sessions of one generated character, newest first."""

    def __init__(
        self,
        character_id: str,
        persona: Persona,
        session_count: int,
        *,
        memory_rate: float = 0.15,
        fixed: Sequence[FixedSession] = (),
    ) -> None:
        self._character_id = character_id
        self._persona = persona
        rng = random.Random(f"sessions/{character_id}")
        starts = sorted((_session_start(rng) for _ in range(session_count)), reverse=True)
        # Compact columns rather than one object per session keep 100,000 sessions small.
        self._starts = array("q", starts)
        self._ids = [_session_id(rng) for _ in range(session_count)]
        self._in_memory = bytearray(rng.random() < memory_rate for _ in range(session_count))
        self._fixed = {session.session_id: session for session in fixed}
        for session in fixed:
            self._ids[session.position] = session.session_id
            self._in_memory[session.position] = False
        self._positions = {session_id: i for i, session_id in enumerate(self._ids)}

    def list_sessions(self, limit: int | None) -> list[dict[str, Any]]:
        count = len(self._ids) if limit is None else min(limit, len(self._ids))
        summaries = []
        for i in range(count):
            date, time = session_date_time(self._starts[i])
            summaries.append(
                {
                    "sessionID": self._ids[i],
                    "date": date,
                    "time": time,
                    "is_added_to_memory": bool(self._in_memory[i]),
                }
            )
        return summaries

    def details(self, session_id: str) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": interaction_timestamp(from_micros(moment)),
                "interaction": exchange.turns,
                "is_trigger_input": exchange.is_trigger_input,
            }
            for moment, exchange in self._timed_exchanges(session_id)
        ]

    def last_interacted_with(self) -> str:
        last_moment, _ = self._timed_exchanges(self._ids[0])[-1]
        return character_timestamp(from_micros(last_moment))

    def _timed_exchanges(self, session_id: str) -> list[tuple[int, Exchange]]:
        position = self._positions.get(session_id)
        if position is None:
            return []
        start = self._starts[position]
        fixed = self._fixed.get(session_id)
        if fixed is not None:
            return [
                (start + round(offset * MICROS_PER_SECOND), exchange)
                for offset, exchange in fixed.exchanges
            ]
        rng = random.Random(f"{self._character_id}/{session_id}")
        # Heavy-tailed: most sessions are a handful of exchanges, a few run long.
        count = max(1, min(MAX_INTERACTIONS, round(rng.lognormvariate(1.5, 0.9))))
        timed = []
        moment = start
        for exchange in compose_session(self._persona, rng, count):
            timed.append((moment, exchange))
            moment += _pause_micros(rng)
        return timed


def _session_start(rng: random.Random) -> int:
    # More sessions lately than a year ago, as a game's audience grows.
    days_back = int(HISTORY_DAYS * rng.random() ** 1.6) + 1
    hour = bisect(_HOUR_CUM_WEIGHTS, rng.random() * _HOUR_CUM_WEIGHTS[-1])
    return (
        _NOW_MICROS
        - days_back * MICROS_PER_DAY
        + hour * MICROS_PER_HOUR
        + rng.randrange(MICROS_PER_HOUR)
    )


def _session_id(rng: random.Random) -> str:
    # A version-4 UUID. Convai's docs show bare 32-hex IDs, its real exports hyphenated UUIDs.
    bits = rng.getrandbits(128) & ~(0xF << 76 | 0x3 << 62) | (0x4 << 76 | 0x2 << 62)
    hex_id = f"{bits:032x}"
    if rng.random() < 0.3:
        return hex_id
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def _pause_micros(rng: random.Random) -> int:
    seconds = rng.uniform(3, 40) if rng.random() < 0.85 else rng.uniform(60, 240)
    return round(seconds * MICROS_PER_SECOND)
