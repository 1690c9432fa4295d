"""A character whose history holds everything a player, a game or a broken proxy could put in
Convai's answers that a database would refuse or a page would choke on: for tests that the
dashboard stores what it can, cuts what is too long (and says so), and reports the rest.

Every session here is named for the case it serves. Its account (HOSTILE_KEY) also lists
characters whose IDs no page could link to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from convai_dashboard.sandbox.clock import character_timestamp

HOSTILE_CHARACTER_ID = "0badda7a-5afe-4c1e-9d2b-6f0e1c7a2b3d"
HOSTILE_NAME = "Hostile\x00 Hal " + "9" * 1_000

# Sessions whose transcripts can be stored, some of them only once cut.
PLAIN = "0badda7a-0001-4000-8000-000000000001"
NUL_AND_SURROGATES = "0badda7a-0002-4000-8000-000000000002"
LONG_SPEAKER = "0badda7a-0003-4000-8000-000000000003"
MANY_TURNS = "0badda7a-0004-4000-8000-000000000004"
HUGE_TEXT = "0badda7a-0005-4000-8000-000000000005"
SAME_TIMESTAMP = "0badda7a-0006-4000-8000-000000000006"
# Sessions whose transcripts are not transcripts: each is one failure of a sync.
BAD_TIMESTAMP = "0badda7a-0007-4000-8000-000000000007"
FAR_FUTURE_TIMESTAMP = "0badda7a-0008-4000-8000-000000000008"
STORED = (PLAIN, NUL_AND_SURROGATES, LONG_SPEAKER, MANY_TURNS, HUGE_TEXT, SAME_TIMESTAMP)
UNREADABLE = (BAD_TIMESTAMP, FAR_FUTURE_TIMESTAMP)

# Session list entries that cannot be kept: each is left out of the list, and reported.
BAD_SESSION_IDS = (
    "bad/slash-session",
    "s" * 300,
    "nul\x00session",
    "../up-a-level",
    "séance",
    "new\nline",
)
OUT_OF_RANGE_DATES = (
    ("0badda7a-0009-4000-8000-000000000009", "31-12-9999", "23:59:59"),
    ("0badda7a-0010-4000-8000-000000000010", "01-01-0001", "00:00:00"),
)

# Characters of the hostile account whose IDs cannot be used; an import leaves them out.
BAD_CHARACTER_IDS = ("bad/character", "c" * 300, "nul\x00character", "..", "with space")

# A word of the plain session and one at the start of the huge text, for searches.
PLAIN_WORD = "lighthouse"
HUGE_WORD = "abyssal"
TURNS = 40_000
TWINS = 40_000
# Over a megabyte of distinct words: as a whole, more than PostgreSQL's tsvector takes.
HUGE_TEXT_WORDS = 150_000

START = "2026-03-14 09:26:53"


def _exchange(said: str, answer: str, at: str = START, **extra: Any) -> dict[str, Any]:
    return {
        "timestamp": f"{at}.000000",
        "interaction": [
            {"speaker": "User", "message": said},
            {"speaker": "Character", "message": answer},
        ],
        "is_trigger_input": False,
        **extra,
    }


def _plain() -> list[dict[str, Any]]:
    return [
        _exchange("Where does this road go?", f"To the old {PLAIN_WORD}, past the cliffs."),
        _exchange('=HYPERLINK("http://evil.example")', "# Not a heading\n*not bold*"),
    ]


def _nul_and_surrogates() -> list[dict[str, Any]]:
    # A lone surrogate is valid JSON ("\ud800") but no database can encode it.
    return [
        _exchange("Hel\x00lo\x00 there", "Wel\x00come.\ud800 \u202eesrever\u202c zero\u200bwidth"),
        {
            "timestamp": f"{START}.500000",
            "interaction": [{"speaker": "Narr\x00ator", "message": "\x00\x00\x00"}],
            "is_trigger_input": True,
        },
    ]


def _long_speaker() -> list[dict[str, Any]]:
    speaker = "The Ancient and Most Venerable Keeper of the Lamp " * 12
    return [
        {
            "timestamp": f"{START}.000000",
            "interaction": [{"speaker": speaker, "message": "Hear me."}],
            "is_trigger_input": False,
        }
    ]


def _many_turns() -> list[dict[str, Any]]:
    return [
        {
            "timestamp": f"{START}.000000",
            "interaction": [
                {"speaker": "User" if i % 2 == 0 else "Character", "message": f"turn {i}"}
                for i in range(TURNS)
            ],
            "is_trigger_input": False,
        }
    ]


def _huge_text() -> list[dict[str, Any]]:
    text = HUGE_WORD + " " + " ".join(f"w{i}" for i in range(HUGE_TEXT_WORDS))
    return [_exchange("Tell me everything.", text)]


def _same_timestamp() -> list[dict[str, Any]]:
    return [_exchange(f"again {i}", "again") for i in range(TWINS)]


def _bad_timestamp() -> list[dict[str, Any]]:
    return [_exchange("Hello?", "Hello."), {**_exchange("When?", "Then."), "timestamp": "noon"}]


def _far_future_timestamp() -> list[dict[str, Any]]:
    return [_exchange("Hello?", "From the future.", at="9999-12-31 23:59:59")]


_TRANSCRIPTS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    PLAIN: _plain,
    NUL_AND_SURROGATES: _nul_and_surrogates,
    LONG_SPEAKER: _long_speaker,
    MANY_TURNS: _many_turns,
    HUGE_TEXT: _huge_text,
    SAME_TIMESTAMP: _same_timestamp,
    BAD_TIMESTAMP: _bad_timestamp,
    FAR_FUTURE_TIMESTAMP: _far_future_timestamp,
}


class HostileHistory:
    """The hostile character's sessions, newest first; transcripts are made when asked for."""

    def list_sessions(self, limit: int | None) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = [
            {"sessionID": session_id, "date": f"{14 - i:02d}-03-2026", "time": "09:26:53"}
            for i, session_id in enumerate([*_TRANSCRIPTS, *BAD_SESSION_IDS])
        ]
        listed += [
            {"sessionID": session_id, "date": date, "time": time}
            for session_id, date, time in OUT_OF_RANGE_DATES
        ]
        listed.append({"sessionID": "", "date": "01-03-2026", "time": "09:26:53"})
        for entry in listed:
            entry["is_added_to_memory"] = False
        return listed if limit is None else listed[:limit]

    def details(self, session_id: str) -> list[dict[str, Any]]:
        make = _TRANSCRIPTS.get(session_id)
        return make() if make else []

    def last_interacted_with(self) -> str:
        return character_timestamp(datetime.fromisoformat(START))


class EmptyHistory:
    """A character with no sessions (those of the hostile account with unusable IDs)."""

    def list_sessions(self, limit: int | None) -> list[dict[str, Any]]:
        return []

    def details(self, session_id: str) -> list[dict[str, Any]]:
        return []

    def last_interacted_with(self) -> str:
        return character_timestamp(datetime.fromisoformat(START))
