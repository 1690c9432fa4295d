"""The session list and the backlog's flags as CSV, a piece per chunk of rows."""

from __future__ import annotations

import csv
import io
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from convai_dashboard.history.listing import Sort
from convai_dashboard.history.models import ChatSession, ConvaiCharacter
from convai_dashboard.review import queues
from convai_dashboard.review.exports import SessionLink
from convai_dashboard.review.exports.common import (
    CHUNK,
    backlog_chunks,
    cell,
    chunks,
    username,
    utc,
)
from convai_dashboard.review.models import Flag, Queue, Tag
from convai_dashboard.review.queries import BacklogSort, row_marks


def _csv(header: Sequence[str], chunks: Iterable[list[list[Any]]]) -> Iterator[str]:
    """CSV text, a piece per chunk of rows; the header first, so a download starts at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield _drained(buffer)
    for rows in chunks:
        writer.writerows(rows)
        yield _drained(buffer)


def _drained(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


# --- the session list ----------------------------------------------------------------------

SESSION_COLUMNS = (
    "session_id",
    "started_at_utc",
    "in_memory",
    "interactions",
    "flags",
    "open_flags",
    "status",
    "tags",
    "link",
)
_SESSION_FIELDS = (
    "pk",
    "session_id",
    "started_at",
    "in_memory",
    "interaction_count",
    "review_status",
)


def session_rows(
    character: ConvaiCharacter, sessions: QuerySet[ChatSession], sort: Sort, link: SessionLink
) -> Iterator[list[list[Any]]]:
    """Rows of SESSION_COLUMNS for the character's sessions, in the list's sort, a chunk at a
    time: three queries a chunk (sessions, and their marks as the list reads them)."""
    character_id = character.character_id
    tags = list(Tag.objects.filter(character=character))
    # Whether the transcript is stored, without reading (and parsing) when it was.
    read = sessions.values(*_SESSION_FIELDS).annotate(
        stored=ExpressionWrapper(Q(transcript_fetched_at__isnull=False), BooleanField())
    )
    for _, chunk in chunks(read, sort.order, operator.getitem):
        marks = row_marks([row["pk"] for row in chunk], tags)
        yield [
            [
                cell(row["session_id"]),
                utc(row["started_at"]),
                "yes" if row["in_memory"] else "no",
                # Known only once the transcript is stored.
                row["interaction_count"] if row["stored"] else "",
                (mark := marks[row["pk"]]).flags,
                mark.open_flags,
                row["review_status"],
                cell("; ".join(tag.name for tag in mark.tags)),
                link(character_id, row["session_id"]),
            ]
            for row in chunk
        ]


def sessions_csv(
    character: ConvaiCharacter, sessions: QuerySet[ChatSession], sort: Sort, link: SessionLink
) -> Iterator[str]:
    return _csv(SESSION_COLUMNS, session_rows(character, sessions, sort, link))


# --- the backlog's flags -------------------------------------------------------------------

FLAG_COLUMNS = (
    "flag_id",
    "character",
    "character_id",
    "session_id",
    "line_time_utc",
    "speaker",
    "original_line",
    "category",
    "comment",
    "rewrite",
    "status",
    "author",
    "flagged_at_utc",
    "permalink",
)


def _permalink(flag: Flag, link: SessionLink) -> str:
    """Needs the flag's line, interaction, session and character loaded."""
    at = link(flag.character.character_id, flag.session.session_id)
    return f"{at}#{flag.line.anchor}"


def flags_csv(flags: QuerySet[Flag], sort: BacklogSort, link: SessionLink) -> Iterator[str]:
    """FLAG_COLUMNS for a backlog's flags (review.queries.backlog), in its sort."""
    return _csv(FLAG_COLUMNS, _flag_rows(flags, sort, link))


def _flag_rows(
    flags: QuerySet[Flag], sort: BacklogSort, link: SessionLink
) -> Iterator[list[list[Any]]]:
    for _, chunk in backlog_chunks(flags, sort):
        yield [
            [
                flag.pk,
                cell(flag.character.display_name),
                cell(flag.character.character_id),
                cell(flag.session.session_id),
                utc(flag.line.interaction.occurred_at),
                cell(flag.line.speaker_label(flag.character)),
                cell(flag.line.text),
                flag.category,
                cell(flag.comment),
                cell(flag.rewrite),
                flag.status,
                cell(username(flag.author)),
                utc(flag.created_at),
                _permalink(flag, link),
            ]
            for flag in chunk
        ]


def queue_results(queue: Queue) -> Iterator[str]:
    """A queue's results: a row per session and reviewer, with the final verdict."""
    rows = ([cell(str(value)) for value in row] for row in queues.result_rows(queue))
    return _csv(queues.RESULT_HEADER, (list(batch) for batch in itertools.batched(rows, CHUNK)))
