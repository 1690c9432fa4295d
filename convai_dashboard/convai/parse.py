"""Turns Convai's JSON into records, or says exactly what was wrong with it.

Everything in Convai's answers is what players typed, passed on, so every value is checked and
bounded here, before anything stores it: NUL characters are removed (PostgreSQL refuses them),
lone surrogates replaced (no database encodes them), text longer than the store keeps is cut
and marked cut (records.py has the limits), and IDs must be safe in a URL path. An entry of a
list that cannot be kept whole is left out and reported by its ID; a transcript is kept whole
or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from convai_dashboard.convai.errors import UnexpectedResponse
from convai_dashboard.convai.records import (
    EARLIEST,
    ID_MAX,
    LATEST,
    LINES_MAX,
    NAME_MAX,
    SPEAKER_MAX,
    TEXT_MAX,
    CharacterInfo,
    Entries,
    Interaction,
    SessionSummary,
    Skipped,
    Turn,
)

# IDs name pages (/characters/<id>/sessions/<id>/): letters, digits, '-', '_' and '.', not
# starting with the last three, so an ID is never a path separator, a dot segment or a
# control character.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unexpected(what: str) -> UnexpectedResponse:
    return UnexpectedResponse(f"Convai's answer was not in the expected shape: {what}.")


class _Unusable(Exception):
    """An entry of a list that cannot be kept; `shape` when it is not even the right shape."""

    def __init__(self, entry: str, reason: str, *, shape: bool = True):
        super().__init__(reason)
        self.skipped = Skipped(entry, reason)
        self.shape = shape


def _quoted(value: str, limit: int = 40) -> str:
    """A value from Convai, fit to print in a message: quoted, escaped and short."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


def _id_problem(value: str) -> str | None:
    """Why a character or session ID cannot be used, or None when it can."""
    if len(value) > ID_MAX:
        return f"it is {len(value):,} characters long, and IDs are kept up to {ID_MAX}"
    if not _ID.fullmatch(value):
        return "it holds characters other than letters, digits, '-', '_' and '.'"
    return None


def _text(value: str, limit: int) -> tuple[str, bool]:
    """The value without NULs or lone surrogates, cut to `limit` characters; and whether it
    was cut."""
    clean = value.replace("\x00", "")
    if _SURROGATE.search(clean):
        clean = _SURROGATE.sub("\ufffd", clean)
    return (clean[:limit], True) if len(clean) > limit else (clean, False)


def _as_utc(value: datetime) -> datetime:
    """Convai sends naive times that are UTC; an offset, if one ever appears, is respected.
    Raises ValueError for a time outside the years the store keeps."""
    at = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not EARLIEST <= at < LATEST:
        raise ValueError(
            f"{at.date().isoformat()} is not between {EARLIEST.year} and {LATEST.year}"
        )
    return at


def _flag(entry: dict[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise _unexpected(f"{where}: {key} is {value!r}, not true or false")
    return value


def _entries[T](payload: list[Any], read: Callable[[Any, int], T]) -> Entries[T]:
    """Each entry read by `read`, those that cannot be kept reported in `skipped`. When not
    one entry of a non-empty list is even the right shape, the API has changed: that is an
    error, not a list of nothing (which would mark every stored session gone)."""
    kept: Entries[T] = Entries()
    shape_problems = 0
    for index, entry in enumerate(payload):
        try:
            kept.append(read(entry, index))
        except _Unusable as problem:
            kept.skipped.append(problem.skipped)
            shape_problems += problem.shape
    if payload and shape_problems == len(payload):
        raise _unexpected(str(kept.skipped[0]))
    return kept


def _session(entry: Any, index: int) -> SessionSummary:
    where = f"session #{index + 1}"
    if not isinstance(entry, dict):
        raise _Unusable(where, "it is not an object")
    session_id = entry.get("sessionID")
    if not isinstance(session_id, str) or not session_id.strip():
        raise _Unusable(where, "it has no sessionID")
    where = f"session {_quoted(session_id)}"
    try:
        # The list gives the day as DD-MM-YYYY and the time separately.
        started = datetime.strptime(f"{entry['date']} {entry['time']}", "%d-%m-%Y %H:%M:%S")
    except (KeyError, TypeError, ValueError):
        raise _Unusable(
            where,
            f"its date {entry.get('date')!r:.40} and time {entry.get('time')!r:.40} are not "
            "DD-MM-YYYY and HH:MM:SS",
        ) from None
    try:
        started = _as_utc(started)
    except ValueError as error:
        raise _Unusable(where, f"its start {error}", shape=False) from None
    in_memory = entry.get("is_added_to_memory", False)
    if not isinstance(in_memory, bool):
        raise _Unusable(where, f"is_added_to_memory is {in_memory!r:.40}, not true or false")
    problem = _id_problem(session_id)
    if problem:
        raise _Unusable(where, f"its ID cannot be used: {problem}", shape=False)
    return SessionSummary(session_id=session_id, started_at=started, in_memory=in_memory)


def session_list(payload: Any) -> Entries[SessionSummary]:
    if not isinstance(payload, list):
        raise _unexpected(f"the session list is a {type(payload).__name__}, not a list")
    return _entries(payload, _session)


def _turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise _unexpected(f"{where} is not an object")
    speaker, message = raw.get("speaker"), raw.get("message")
    if not isinstance(speaker, str):
        raise _unexpected(f"{where} has no speaker")
    if message is None:
        message = ""
    if not isinstance(message, str):
        raise _unexpected(f"{where} has a message that is not text")
    speaker, speaker_cut = _text(speaker, SPEAKER_MAX)
    message, message_cut = _text(message, TEXT_MAX)
    return Turn(speaker=speaker, message=message, truncated=speaker_cut or message_cut)


def _interaction(entry: Any, where: str, room: int) -> Interaction:
    """An interaction of at most `room` turns; marked cut if it had more."""
    if not isinstance(entry, dict):
        raise _unexpected(f"{where} is not an object")
    try:
        occurred = datetime.fromisoformat(entry["timestamp"])
    except (KeyError, TypeError, ValueError):
        raise _unexpected(
            f"{where} has timestamp {entry.get('timestamp')!r:.60}, not YYYY-MM-DD HH:MM:SS"
        ) from None
    try:
        occurred = _as_utc(occurred)
    except ValueError as error:
        raise _unexpected(f"{where} has a timestamp out of range: {error}") from None
    turns = entry.get("interaction") or []
    if not isinstance(turns, list):
        raise _unexpected(f"{where} has turns that are not a list")
    return Interaction(
        occurred_at=occurred,
        turns=tuple(_turn(t, f"{where}, turn #{i + 1}") for i, t in enumerate(turns[:room])),
        is_trigger_input=_flag(entry, "is_trigger_input", where),
        truncated=len(turns) > room,
    )


def transcript(payload: Any) -> list[Interaction]:
    """A whole transcript, or UnexpectedResponse: a transcript is never kept in part, except
    past LINES_MAX lines (there it is cut, and the interaction where it was cut marked)."""
    if not isinstance(payload, list):
        raise _unexpected(f"the transcript is a {type(payload).__name__}, not a list")
    interactions: list[Interaction] = []
    room = LINES_MAX
    for index, entry in enumerate(payload):
        if room <= 0:
            # Lines were cut at the previous interaction, or the next one starts past the end.
            interactions[-1] = replace(interactions[-1], truncated=True)
            break
        interaction = _interaction(entry, f"interaction #{index + 1}", room)
        interactions.append(interaction)
        # An interaction without turns still counts, so a transcript of empty interactions
        # is bounded too.
        room -= max(1, len(interaction.turns))
    return interactions


def character(payload: Any, character_id: str) -> CharacterInfo:
    """The character asked for, by its ID, with the name Convai gives it."""
    if not isinstance(payload, dict):
        raise _unexpected("the character is not an object")
    name = payload.get("character_name")
    if not isinstance(name, str) or not name.strip():
        raise _unexpected("the character has no character_name")
    return CharacterInfo(character_id=character_id, name=_text(name, NAME_MAX)[0])


def _character(entry: Any, index: int) -> CharacterInfo:
    where = f"character #{index + 1}"
    if not isinstance(entry, dict) or not isinstance(entry.get("character_id"), str):
        raise _Unusable(where, "it has no character_id")
    character_id = entry["character_id"]
    problem = _id_problem(character_id)
    if problem:
        raise _Unusable(
            f"character {_quoted(character_id)}", f"its ID cannot be used: {problem}", shape=False
        )
    name = entry.get("character_name")
    name = _text(name, NAME_MAX)[0] if isinstance(name, str) else ""
    return CharacterInfo(character_id=character_id, name=name if name.strip() else character_id)


def character_list(payload: Any) -> Entries[CharacterInfo]:
    characters = payload.get("characters") if isinstance(payload, dict) else None
    if not isinstance(characters, list):
        raise _unexpected("the character list has no list of characters")
    return _entries(characters, _character)
