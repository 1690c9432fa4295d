"""What the client returns: plain, typed, immutable values, free of Convai's JSON quirks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    started_at: datetime  # aware, UTC
    in_memory: bool  # folded into the character's Long Term Memory


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str  # "User", "Character", or anything else Convai sends, kept as sent
    message: str


@dataclass(frozen=True, slots=True)
class Interaction:
    occurred_at: datetime  # aware, UTC, with microseconds
    turns: tuple[Turn, ...]
    is_trigger_input: bool


@dataclass(frozen=True, slots=True)
class CharacterInfo:
    character_id: str
    name: str
