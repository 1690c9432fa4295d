"""Writing what Convai answered into the shared history: session lists and transcripts.

Writes are upserts keyed on the stable identities of models.py, so a repeated or interrupted
fetch never duplicates a row and never deletes one. Asking Convai is fetch.py's work; this
module takes the client's records and never calls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.convai.records import SessionSummary, Skipped
from convai_dashboard.history.models import (
    EVENT_PREFIX,
    FIRST_LINE_LENGTH,
    REFUSAL_PREFIX,
    ChatSession,
    ConvaiCharacter,
    Interaction,
    Line,
    Speaker,
)
from convai_dashboard.history.text import fold


@dataclass(frozen=True)
class RefreshResult:
    listed: int
    new: int
    gone: int
    # Entries of Convai's list left out, as they could not be stored whole (fetch.py fills it).
    skipped: list[Skipped] = field(default_factory=list)


LIST_CHUNK = 5000


def _column(model: type[Model], name: str) -> str:
    return model._meta.get_field(name).column  # type: ignore[union-attr,return-value]


def _upsert_sql(
    model: type[Model], inserted: tuple[str, ...], unique: tuple[str, ...], updated: tuple[str, ...]
) -> str:
    """One row's INSERT ... ON CONFLICT DO UPDATE, the same on SQLite and PostgreSQL, for
    executemany. The ORM's bulk_create spent most of the store's time building and compiling
    what these send as plain data (docs/performance.md, "Storing a list" and "Sync")."""
    columns = [_column(model, name) for name in inserted]
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(_column(model, name) for name in unique)}) DO UPDATE SET "
        + ", ".join(f"{_column(model, n)} = excluded.{_column(model, n)}" for n in updated)
    )


def _update_by_pk_sql(model: type[Model], updated: tuple[str, ...]) -> str:
    assigned = ", ".join(f"{_column(model, name)} = %s" for name in updated)
    return f"UPDATE {model._meta.db_table} SET {assigned} WHERE {model._meta.pk.column} = %s"  # type: ignore[union-attr]


def _upsert_sessions_sql() -> str:
    return _upsert_sql(
        ChatSession,
        inserted=(
            "character",
            "session_id",
            "started_at",
            "in_memory",
            "first_seen_at",
            "listed_at",
            "on_convai",
            "interaction_count",
        ),
        unique=("character", "session_id"),
        updated=("started_at", "in_memory", "listed_at", "on_convai"),
    )


def store_session_list(
    character: ConvaiCharacter, summaries: Iterable[SessionSummary]
) -> RefreshResult:
    """Stores Convai's session list of a character: new sessions added, known ones updated,
    ones no longer listed marked as gone from Convai (never deleted)."""
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(now)
    listed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        before = character.sessions.count()
        # In chunks, so a list of 100,000 sessions never has all its rows built at once.
        for chunk in batched(summaries, LIST_CHUNK):
            cursor.executemany(
                _upsert_sessions_sql(),
                [
                    (
                        character.pk,
                        s.session_id,
                        adapt(s.started_at),
                        s.in_memory,
                        stamp,
                        stamp,
                        True,
                        0,
                    )
                    for s in chunk
                ],
            )
            listed += len(chunk)
        gone = character.sessions.filter(on_convai=True, listed_at__lt=now).update(on_convai=False)
        after = character.sessions.count()
        ConvaiCharacter.objects.filter(pk=character.pk).update(
            sessions_refreshed_at=now,
            convai_error="",
            convai_error_at=None,
            session_count=after,
            stored_version=F("stored_version") + 1,
        )
    character.sessions_refreshed_at, character.session_count = now, after
    character.convai_error, character.convai_error_at = "", None
    return RefreshResult(listed=listed, new=after - before, gone=gone)


def _with_ordinals(records: list[InteractionRecord]) -> list[tuple[InteractionRecord, int]]:
    seen: dict = {}
    keyed = []
    for record in records:
        ordinal = seen.get(record.occurred_at, 0)
        seen[record.occurred_at] = ordinal + 1
        keyed.append((record, ordinal))
    return keyed


class NotStored(Exception):
    """The database refused a transcript (`str()` says why); nothing of it was stored."""


@dataclass(frozen=True)
class Unstored:
    session: ChatSession
    reason: str


# The folded text of a line is cut here, whatever folding made of the text (one character can
# fold into many): PostgreSQL's tsvector holds at most 1 MB of a line's words, and 100,000
# folded characters stay well within it.
SEARCH_TEXT_MAX = 100_000

# A database refusing a value, or a driver unable to encode one. The client bounds and cleans
# every value, so these mean a value it did not foresee.
_REFUSALS = (DatabaseError, ValueError)


def _reason(error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the database refused it ({first_line[:200]})"


def store_transcript(session: ChatSession, records: list[InteractionRecord]) -> None:
    """Stores one whole transcript. Raises NotStored if the database refuses it."""
    unstored = store_transcripts([(session, records)])
    if unstored:
        raise NotStored(unstored[0].reason)


def store_transcripts(
    fetched: list[tuple[ChatSession, list[InteractionRecord]]],
) -> list[Unstored]:
    """Stores whole transcripts, and returns those the database refused, with why.

    All of them in one transaction, with one query of each kind (a sync hands over every
    transcript that arrived while it stored the previous ones). Should the database refuse
    that, each is stored again in a transaction of its own, so a transcript it refuses costs
    only itself and never half of it is stored."""
    try:
        _store_together(fetched)
    except _REFUSALS:
        pass
    else:
        return []
    unstored = []
    for session, records in fetched:
        try:
            _store_together([(session, records)])
        except _REFUSALS as error:
            unstored.append(Unstored(session, _reason(error)))
    return unstored


# Speaker.values builds its list anew on every use.
_SPEAKERS = frozenset(Speaker.values)

_SESSION_SUMMARY = (
    "interaction_count",
    "last_interaction_at",
    "transcript_fetched_at",
    "has_trigger",
    "has_other_speaker",
    "has_refusal",
    "first_player_line",
)


def _store_together(fetched: list[tuple[ChatSession, list[InteractionRecord]]]) -> None:
    keyed = [(session, _with_ordinals(records)) for session, records in fetched]
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            _upsert_sql(
                Interaction,
                inserted=("session", "occurred_at", "ordinal", "is_trigger_input", "truncated"),
                unique=("session", "occurred_at", "ordinal"),
                updated=("is_trigger_input", "truncated"),
            ),
            [
                (
                    session.pk,
                    adapt(record.occurred_at),
                    ordinal,
                    record.is_trigger_input,
                    record.truncated,
                )
                for session, interactions in keyed
                for record, ordinal in interactions
            ],
        )
        # Every stored interaction of these sessions, those stored before included.
        ids: dict[tuple[int, datetime, int], int] = {
            (session_pk, occurred_at, ordinal): pk
            for pk, session_pk, occurred_at, ordinal in Interaction.objects.filter(
                session__in=[session for session, _ in keyed]
            ).values_list("pk", "session_id", "occurred_at", "ordinal")
        }
        cursor.executemany(
            _upsert_sql(
                Line,
                inserted=(
                    "interaction",
                    "session",
                    "character",
                    "position",
                    "speaker",
                    "text",
                    "search_text",
                    "truncated",
                ),
                unique=("interaction", "position"),
                updated=("speaker", "text", "search_text", "truncated"),
            ),
            [
                (
                    ids[(session.pk, record.occurred_at, ordinal)],
                    session.pk,
                    session.character_id,
                    position,
                    turn.speaker,
                    turn.message,
                    fold(turn.message)[:SEARCH_TEXT_MAX],
                    turn.truncated,
                )
                for session, interactions in keyed
                for record, ordinal in interactions
                for position, turn in enumerate(record.turns)
            ],
        )
        stored: dict[int, list[datetime]] = {session.pk: [] for session, _ in keyed}
        for session_pk, occurred_at, _ in ids:
            stored[session_pk].append(occurred_at)
        summaries = {
            session.pk: {
                "interaction_count": len(stored[session.pk]),
                "last_interaction_at": max(stored[session.pk], default=None),
                "transcript_fetched_at": now,
                # Stored interactions are never dropped, so a flag once set stays set.
                "has_trigger": bool(session.has_trigger)
                or any(record.is_trigger_input for record, _ in interactions),
                "has_other_speaker": bool(session.has_other_speaker)
                or any(
                    turn.speaker not in _SPEAKERS
                    for record, _ in interactions
                    for turn in record.turns
                ),
                "has_refusal": bool(session.has_refusal)
                or any(
                    turn.speaker == Speaker.CHARACTER and turn.message.startswith(REFUSAL_PREFIX)
                    for record, _ in interactions
                    for turn in record.turns
                ),
                # Convai gives a whole transcript, oldest first: its first player line is this.
                "first_player_line": next(
                    (line for record, _ in interactions if (line := _player_said(record))),
                    session.first_player_line,
                ),
            }
            for session, interactions in keyed
        }
        # One small UPDATE by primary key per session: bulk_update's CASE statement was slow on
        # PostgreSQL under a sync's load (docs/performance.md, "Sync").
        cursor.executemany(
            _update_by_pk_sql(ChatSession, _SESSION_SUMMARY),
            [
                (
                    *(
                        adapt(value) if isinstance(value, datetime) else value
                        for value in (summary[name] for name in _SESSION_SUMMARY)
                    ),
                    pk,
                )
                for pk, summary in summaries.items()
            ],
        )
        ConvaiCharacter.objects.filter(
            pk__in={session.character_id for session, _ in keyed}
        ).update(stored_version=F("stored_version") + 1)
    # Only once it is all stored do the sessions in hand say so.
    for session, _ in keyed:
        for name, value in summaries[session.pk].items():
            setattr(session, name, value)


def _player_said(record: InteractionRecord) -> str:
    """What the player typed or said in an interaction, for a row of the list; empty for a
    trigger, a game event, or a character who spoke first."""
    if record.is_trigger_input:
        return ""
    for turn in record.turns:
        if turn.speaker == Speaker.PLAYER and turn.message.strip():
            if turn.message.startswith(EVENT_PREFIX):
                return ""
            return turn.message[:FIRST_LINE_LENGTH]
    return ""
