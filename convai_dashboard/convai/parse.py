"""Turns Convai's JSON into records, or says exactly what was wrong with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from convai_dashboard.convai.errors import UnexpectedResponse
from convai_dashboard.convai.records import (
    CharacterInfo,
    Interaction,
    SessionSummary,
    Turn,
)


def _unexpected(what: str) -> UnexpectedResponse:
    return UnexpectedResponse(f"Convai's answer was not in the expected shape: {what}.")


def _as_utc(value: datetime) -> datetime:
    # Convai sends naive times that are UTC; an offset, if one ever appears, is respected.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _flag(entry: dict[str, Any], key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise _unexpected(f"{where}: {key} is {value!r}, not true or false")
    return value


def session_list(payload: Any) -> list[SessionSummary]:
    if not isinstance(payload, list):
        raise _unexpected(f"the session list is a {type(payload).__name__}, not a list")
    sessions = []
    for index, entry in enumerate(payload):
        where = f"session #{index + 1}"
        if not isinstance(entry, dict):
            raise _unexpected(f"{where} is not an object")
        session_id = entry.get("sessionID")
        if not isinstance(session_id, str) or not session_id.strip():
            raise _unexpected(f"{where} has no sessionID")
        try:
            # The list gives the day as DD-MM-YYYY and the time separately.
            started = datetime.strptime(f"{entry['date']} {entry['time']}", "%d-%m-%Y %H:%M:%S")
        except (KeyError, TypeError, ValueError):
            raise _unexpected(
                f"{where} ({session_id}) has date {entry.get('date')!r} and time "
                f"{entry.get('time')!r}, not DD-MM-YYYY and HH:MM:SS"
            ) from None
        sessions.append(
            SessionSummary(
                session_id=session_id,
                started_at=_as_utc(started),
                in_memory=_flag(entry, "is_added_to_memory", where),
            )
        )
    return sessions


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
    return Turn(speaker=speaker, message=message)


def transcript(payload: Any) -> list[Interaction]:
    if not isinstance(payload, list):
        raise _unexpected(f"the transcript is a {type(payload).__name__}, not a list")
    interactions = []
    for index, entry in enumerate(payload):
        where = f"interaction #{index + 1}"
        if not isinstance(entry, dict):
            raise _unexpected(f"{where} is not an object")
        try:
            occurred = datetime.fromisoformat(entry["timestamp"])
        except (KeyError, TypeError, ValueError):
            raise _unexpected(
                f"{where} has timestamp {entry.get('timestamp')!r}, not YYYY-MM-DD HH:MM:SS"
            ) from None
        turns = entry.get("interaction") or []
        if not isinstance(turns, list):
            raise _unexpected(f"{where} has turns that are not a list")
        interactions.append(
            Interaction(
                occurred_at=_as_utc(occurred),
                turns=tuple(_turn(t, f"{where}, turn #{i + 1}") for i, t in enumerate(turns)),
                is_trigger_input=_flag(entry, "is_trigger_input", where),
            )
        )
    return interactions


def character(payload: Any, character_id: str) -> CharacterInfo:
    if not isinstance(payload, dict):
        raise _unexpected("the character is not an object")
    name = payload.get("character_name")
    if not isinstance(name, str) or not name.strip():
        raise _unexpected("the character has no character_name")
    return CharacterInfo(character_id=str(payload.get("character_id") or character_id), name=name)


def character_list(payload: Any) -> list[CharacterInfo]:
    characters = payload.get("characters") if isinstance(payload, dict) else None
    if not isinstance(characters, list):
        raise _unexpected("the character list has no list of characters")
    found = []
    for index, entry in enumerate(characters):
        if not isinstance(entry, dict) or not isinstance(entry.get("character_id"), str):
            raise _unexpected(f"character #{index + 1} has no character_id")
        name = entry.get("character_name")
        found.append(
            CharacterInfo(
                character_id=entry["character_id"],
                name=name if isinstance(name, str) and name.strip() else entry["character_id"],
            )
        )
    return found
