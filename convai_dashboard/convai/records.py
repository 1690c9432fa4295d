"""What the client returns: plain, typed, immutable values, free of Convai's JSON quirks, and
bounded to what the store holds (parse.py cuts longer values to these and marks them cut)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

# Character and session IDs: a character's is stored in 128 characters (a session's in 200).
# Real IDs are UUIDs or 32 hex digits.
ID_MAX = 128
# A character's name, as history.ConvaiCharacter and accounts.CharacterAccess store it.
NAME_MAX = 200
# A speaker, as history.Line stores it.
SPEAKER_MAX = 100
# A line's text. Far above any real turn (a few hundred characters), and far below what
# PostgreSQL's tsvector can index (1 MB of a line's words).
TEXT_MAX = 20_000
# Lines (turns) of one transcript, however they are spread over its interactions. Real
# sessions have tens; the transcript page shows them all at once; and the store numbers turns
# and same-time interactions in small integers (at most 32,767).
LINES_MAX = 2_000
# Times from Convai are kept between these (UTC): the years around Convai's own, with room to
# spare, and far from the ends of what dates and date arithmetic can hold.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    started_at: datetime  # aware, UTC
    in_memory: bool  # folded into the character's Long Term Memory


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: str  # "User", "Character", or anything else Convai sends, kept as sent
    message: str
    # The speaker or the message was longer than the store keeps, and was cut.
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Interaction:
    occurred_at: datetime  # aware, UTC, with microseconds
    turns: tuple[Turn, ...]
    is_trigger_input: bool
    # The transcript went on past LINES_MAX in this interaction: its further turns, and any
    # further interactions, were cut.
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class CharacterInfo:
    character_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry of a list Convai sent that could not be kept whole, so was left out."""

    entry: str  # what it was, by its ID where it has one, quoted so that any ID prints safely
    reason: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.reason}"


class Entries[T](list[T]):
    """The entries of a list Convai sent that could be kept, and in `skipped` those left out.
    A list, so callers that need no report use it as one."""

    def __init__(self, kept: Iterable[T] = (), skipped: Iterable[Skipped] = ()) -> None:
        super().__init__(kept)
        self.skipped = list(skipped)


def left_out(skipped: list[Skipped]) -> str:
    """What to tell a user about the entries of a list that were left out."""
    shown = "; ".join(str(entry) for entry in skipped[:3])
    more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
    return f"{len(skipped)} left out, as the dashboard cannot store them: {shown}{more}."
