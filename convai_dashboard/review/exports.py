"""The review exports as data: the session list and the flags as CSV rows, the rewrites as chat
examples (JSONL), a session as JSON in Convai's shape and as a Markdown script, and one line as
a bug report. Nothing here speaks HTTP: pages.exports sends what this builds, and
bench/export_speed.py times it.

Callers pass sessions, flags and characters they found through the user's access, and a
`SessionLink` that makes a session's absolute URL from its character's and its own Convai ID.

Lists of any length are read in keyset chunks (CHUNK rows, a fixed number of queries each), so
an export holds one chunk in memory, and no cursor or transaction stays open between chunks.
Every text that comes from Convai or a user goes through `cell` in CSV and `markdown` in
Markdown, so that it can never become a spreadsheet formula or Markdown structure.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet

from convai_dashboard.history.listing import SORTS
from convai_dashboard.history.models import (
    ChatSession,
    ConvaiCharacter,
    Interaction,
    Line,
    Speaker,
)
from convai_dashboard.review.models import Flag, FlagStatus, Note, SessionTag, Tag
from convai_dashboard.review.queries import BACKLOG_SORTS

# (character ID, session ID) -> the session's absolute URL; a line's permalink adds its anchor.
SessionLink = Callable[[str, str], str]

CHUNK = 2000

# --- neutralising text ---------------------------------------------------------------------

# Spreadsheets read a cell that starts with one of these as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text: a leading single quote stops a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# Every ASCII punctuation character that CommonMark or GitHub's Markdown gives a meaning: blocks
# (# > - + = digits with . or )), emphasis, code, links and images, autolinks and bare URLs
# (: .), HTML and entities (< > &), tables, strikethrough and math. Escaping one with a backslash
# always shows it as itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&:=$])")


def markdown(text: str) -> str:
    """Text from Convai or a user as Markdown that shows exactly that text. Its line breaks stay
    (as hard breaks) but can never start a new block, so it cannot become a heading, list,
    quote, code block, table, link, image or HTML, wherever it is put."""
    lines = (line.strip() for line in text.splitlines())
    return "\\\n".join(_MARKDOWN_SPECIAL.sub(r"\\\1", line) for line in lines if line)


def _quoted(block: str) -> str:
    """A Markdown block inside a block quote."""
    return "\n".join(f"> {line}" if line else ">" for line in block.split("\n"))


# --- shared pieces -------------------------------------------------------------------------


def _utc(at: datetime | None) -> str:
    """2026-10-01 12:00:00 (UTC, as Convai records times)."""
    # isoformat without its "+00:00": strftime was the slowest part of a row of the list.
    return at.astimezone(UTC).isoformat(" ", "seconds")[:19] if at else ""


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at else None


def _username(user: Any) -> str:
    # A deleted user's review work stays, unsigned.
    return user.username if user is not None else ""


def _speaker_label(line: Line, character: ConvaiCharacter) -> str:
    """Who said a line, as a writer reads it (the line's interaction must be loaded)."""
    labels = {
        "player": "Player",
        "trigger": "Trigger",
        "event": "Event",
        "character": character.display_name,
    }
    return labels.get(line.kind, line.speaker) or "Unnamed speaker"


def _chunks[T](
    rows: QuerySet[Any, T],
    order: Sequence[str],
    value: Callable[[T, str], Any],
) -> Iterator[tuple[QuerySet[Any, T], list[T]]]:
    """The rows in chunks of CHUNK, in this order (field names, "-" for descending, the last
    one unique), each continuing after the last row of the one before (keyset pagination).
    Each comes with the query that read it, for other queries to take as a subquery: Django
    prepares a list of thousands of IDs one by one, which cost more than reading the rows."""
    ordered = rows.order_by(*order)
    page = ordered[:CHUNK]
    while chunk := list(page):
        yield page, chunk
        if len(chunk) < CHUNK:
            return
        last = {name.lstrip("-"): value(chunk[-1], name.lstrip("-")) for name in order}
        page = ordered.filter(_after(order, last))[:CHUNK]


def _after(order: Sequence[str], last: dict[str, Any]) -> Q:
    """Rows beyond `last` in this order."""
    fields = [name.lstrip("-") for name in order]
    beyond = Q()
    for i, name in enumerate(order):
        op = "lt" if name.startswith("-") else "gt"
        beyond |= Q(
            **{field: last[field] for field in fields[:i]},
            **{f"{fields[i]}__{op}": last[fields[i]]},
        )
    # The same bound on the first field alone, which an index can seek to: the OR alone made
    # SQLite walk every row before it.
    first = "lte" if order[0].startswith("-") else "gte"
    return Q(**{f"{fields[0]}__{first}": last[fields[0]]}) & beyond


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


# --- the session list as CSV ---------------------------------------------------------------

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
    character: ConvaiCharacter, sessions: QuerySet[ChatSession], sort: str, link: SessionLink
) -> Iterator[list[list[Any]]]:
    """Rows of SESSION_COLUMNS for the character's sessions, in the list's sort, a chunk at a
    time: three queries a chunk (sessions, flag counts, tags)."""
    field, descending = SORTS[sort]
    order = [f"-{field}", "-session_id"] if descending else [field, "session_id"]
    character_id = character.character_id
    # Whether the transcript is stored, without reading (and parsing) when it was.
    read = sessions.values(*_SESSION_FIELDS).annotate(
        stored=ExpressionWrapper(Q(transcript_fetched_at__isnull=False), BooleanField())
    )
    for page, chunk in _chunks(read, order, operator.getitem):
        counts = _flag_counts(page.values("pk"))
        tags = _tag_names(page.values("pk"))
        yield [
            [
                cell(row["session_id"]),
                _utc(row["started_at"]),
                "yes" if row["in_memory"] else "no",
                # Known only once the transcript is stored.
                row["interaction_count"] if row["stored"] else "",
                *counts.get(row["pk"], (0, 0)),
                row["review_status"],
                cell("; ".join(tags.get(row["pk"], ()))),
                link(character_id, row["session_id"]),
            ]
            for row in chunk
        ]


def _flag_counts(sessions: QuerySet[Any]) -> dict[int, tuple[int, int]]:
    """(all, open) flags of each of these sessions that has any."""
    return {
        session: (total, unresolved)
        for session, total, unresolved in Flag.objects.filter(session__in=sessions)
        .order_by()
        .values_list("session_id")
        .annotate(total=Count("pk"), unresolved=Count("pk", filter=Q(status=FlagStatus.OPEN)))
    }


def _tag_names(sessions: QuerySet[Any]) -> dict[int, list[str]]:
    """The names of the tags on each of these sessions that has any, in alphabetical order."""
    tags: dict[int, list[str]] = defaultdict(list)
    for session, name in (
        SessionTag.objects.filter(session__in=sessions)
        .order_by("tag__name")
        .values_list("session_id", "tag__name")
    ):
        tags[session].append(name)
    return tags


def sessions_csv(
    character: ConvaiCharacter, sessions: QuerySet[ChatSession], sort: str, link: SessionLink
) -> Iterator[str]:
    return _csv(SESSION_COLUMNS, session_rows(character, sessions, sort, link))


# --- the backlog's flags as CSV ------------------------------------------------------------

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


def _backlog_chunks(
    flags: QuerySet[Flag], sort: str | None
) -> Iterator[tuple[QuerySet[Flag], list[Flag]]]:
    """The flags with their line, interaction, session, character and author, in the backlog's
    sort, a chunk (one query) at a time."""
    loaded = flags.select_related("line__interaction", "session", "character", "author").defer(
        # A second copy of each line's text, for search alone.
        "line__search_text"
    )
    return _chunks(loaded, BACKLOG_SORTS[sort or "newest"], getattr)


def _permalink(flag: Flag, link: SessionLink) -> str:
    """Needs the flag's line, interaction, session and character loaded."""
    at = link(flag.character.character_id, flag.session.session_id)
    return f"{at}#{flag.line.anchor}"


def flags_csv(flags: QuerySet[Flag], sort: str | None, link: SessionLink) -> Iterator[str]:
    """FLAG_COLUMNS for a backlog's flags (review.queries.backlog), in its sort."""
    return _csv(FLAG_COLUMNS, _flag_rows(flags, sort, link))


def _flag_rows(
    flags: QuerySet[Flag], sort: str | None, link: SessionLink
) -> Iterator[list[list[Any]]]:
    for _, chunk in _backlog_chunks(flags, sort):
        yield [
            [
                flag.pk,
                cell(flag.character.display_name),
                cell(flag.character.character_id),
                cell(flag.session.session_id),
                _utc(flag.line.interaction.occurred_at),
                cell(_speaker_label(flag.line, flag.character)),
                cell(flag.line.text),
                flag.category,
                cell(flag.comment),
                cell(flag.rewrite),
                flag.status,
                cell(_username(flag.author)),
                _utc(flag.created_at),
                _permalink(flag, link),
            ]
            for flag in chunk
        ]


# --- rewrites as chat examples (JSONL) -----------------------------------------------------

# Flags whose rewrite a writer stands behind.
REWRITE_STATUSES = (FlagStatus.REWRITTEN, FlagStatus.APPROVED)
# OpenAI's pattern for a message's `name`.
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def rewrite_examples(flags: QuerySet[Flag], sort: str | None) -> Iterator[str]:
    """One JSON line for each of a backlog's flags (review.queries.backlog, in its sort) that
    rewrites a character's line: OpenAI's chat fine-tuning shape, the session's turns before
    the line, then the rewrite as the assistant's answer. Two queries a chunk: the flags, and
    the lines of their sessions."""
    rewritten = flags.filter(status__in=REWRITE_STATUSES, line__speaker=Speaker.CHARACTER).exclude(
        rewrite=""
    )
    for page, chunk in _backlog_chunks(rewritten, sort):
        turns = _turns_of(page.values("session_id"))
        for flag in chunk:
            if flag.rewrite.strip():
                messages = [*_messages_before(turns[flag.session_id], flag.line_id)]
                messages.append({"role": "assistant", "content": flag.rewrite})
                yield json.dumps({"messages": messages}, ensure_ascii=False) + "\n"


def _turns_of(sessions: QuerySet[Any]) -> dict[int, list[tuple[int, str, str]]]:
    """(line, speaker, text) of every line of these sessions, in the order they were said."""
    turns: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for session, line, speaker, text in (
        Line.objects.filter(session__in=sessions)
        .order_by("session_id", "interaction__occurred_at", "interaction__ordinal", "position")
        .values_list("session_id", "pk", "speaker", "text")
    ):
        turns[session].append((line, speaker, text))
    return turns


def _messages_before(turns: list[tuple[int, str, str]], line: int) -> Iterator[dict[str, Any]]:
    for pk, speaker, text in turns:
        if pk == line:
            return
        if not text.strip():
            continue
        if speaker == Speaker.CHARACTER:
            # The character's own earlier lines are context, not what to learn: weight 0 keeps
            # OpenAI's fine-tuning from training on them (other tools ignore the key).
            yield {"role": "assistant", "content": text, "weight": 0}
        elif speaker == Speaker.PLAYER:
            # Players, triggers and events alike: what the game said to the character.
            yield {"role": "user", "content": text}
        else:
            yield {"role": "user", "content": text, "name": _message_name(speaker)}


def _message_name(speaker: str) -> str:
    return _NOT_IN_NAME.sub("_", speaker).strip("_")[:64] or "other"


# --- one session: loaded once, as JSON or as a Markdown script ----------------------------


@dataclass(frozen=True)
class _SessionReview:
    interactions: list[Interaction]  # with their lines
    flags: dict[int, list[Flag]]  # by line, oldest first
    tags: list[Tag]
    notes: list[Note]


def _load(session: ChatSession) -> _SessionReview:
    """Five queries: interactions, lines, flags, tags and notes."""
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in (
        Flag.objects.filter(session=session)
        .select_related("author", "updated_by")
        .order_by("created_at", "pk")
    ):
        flags[flag.line_id].append(flag)
    return _SessionReview(
        interactions=list(session.interactions.prefetch_related("lines")),
        flags=flags,
        tags=list(Tag.objects.filter(links__session=session)),
        notes=list(Note.objects.filter(session=session).select_related("author")),
    )


def _api_time(at: datetime) -> str:
    # As Convai's transcripts give it: UTC, no zone, microseconds.
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def session_document(session: ChatSession, link: SessionLink) -> dict[str, Any]:
    """The session as JSON: `transcript` exactly in the shape of Convai's chatHistory/details,
    and beside it the review data; each flag names the `interaction` (index in `transcript`)
    and `turn` (index in its `interaction` list) it is on. Needs the session's character and
    reviewed_by loaded."""
    review = _load(session)
    url = link(session.character.character_id, session.session_id)
    transcript: list[dict[str, Any]] = []
    flags: list[dict[str, Any]] = []
    # Where Convai sent more than the store keeps: an interaction whose turns (or whose
    # transcript's further interactions) were cut has turn None; a cut turn has its index.
    cut: list[dict[str, int | None]] = []
    for i, interaction in enumerate(review.interactions):
        turns = list(interaction.lines.all())
        if interaction.truncated:
            cut.append({"interaction": i, "turn": None})
        cut += [{"interaction": i, "turn": t} for t, line in enumerate(turns) if line.truncated]
        transcript.append(
            {
                "timestamp": _api_time(interaction.occurred_at),
                "interaction": [{"speaker": line.speaker, "message": line.text} for line in turns],
                "is_trigger_input": interaction.is_trigger_input,
            }
        )
        flags += [
            {
                "id": flag.pk,
                "interaction": i,
                "turn": t,
                "speaker": line.speaker,
                "message": line.text,
                "category": flag.category,
                "comment": flag.comment,
                "rewrite": flag.rewrite,
                "status": flag.status,
                "author": _username(flag.author),
                "created_at": _iso(flag.created_at),
                "updated_by": _username(flag.updated_by),
                "updated_at": _iso(flag.updated_at),
                "permalink": f"{url}#{line.anchor}",
            }
            for t, line in enumerate(turns)
            for flag in review.flags.get(line.pk, ())
        ]
    return {
        "character": {
            "id": session.character.character_id,
            "name": session.character.display_name,
        },
        "session": {
            "id": session.session_id,
            "started_at": _iso(session.started_at),
            "in_memory": session.in_memory,
            "on_convai": session.on_convai,
            "transcript_fetched_at": _iso(session.transcript_fetched_at),
            "link": url,
            "cut": cut,
        },
        "transcript": transcript,
        "review": {
            "status": session.review_status,
            "reviewed_by": _username(session.reviewed_by) or None,
            "reviewed_at": _iso(session.reviewed_at),
            "tags": [tag.name for tag in review.tags],
            "notes": [
                {
                    "author": _username(note.author),
                    "created_at": _iso(note.created_at),
                    "text": note.text,
                }
                for note in review.notes
            ],
            "flags": flags,
        },
    }


def _clock(at: datetime, day: date) -> str:
    """A line's time in a script of a session that started on `day`."""
    at = at.astimezone(UTC)
    return f"{at:%H:%M:%S}" if at.date() == day else f"{at:%Y-%m-%d %H:%M:%S}"


def _turn(line: Line, character: ConvaiCharacter, day: date, note: str = "") -> str:
    """One turn of a script: **Speaker** (time): text."""
    label = markdown(_speaker_label(line, character))
    when = _clock(line.interaction.occurred_at, day)
    refusal = ", moderation refusal" if line.is_refusal else ""
    return f"**{label}** ({when}{refusal}{note}): {markdown(line.text)}"


def _flag_block(flag: Flag) -> str:
    """A flag as lines of Markdown: what, by whom, the comment and the rewrite."""
    lines = [
        f"**Flag: {flag.get_category_display()}** ({flag.get_status_display()}), "
        f"by {markdown(_username(flag.author)) or 'a deleted user'} on {_utc(flag.created_at)} UTC"
    ]
    if flag.comment.strip():
        lines.append(markdown(flag.comment))
    if flag.rewrite.strip():
        lines.append("**Rewrite:** " + markdown(flag.rewrite))
    return "\\\n".join(lines)


def session_script(session: ChatSession, link: SessionLink) -> str:
    """The session as a Markdown script for writers: who said what and when, trigger inputs and
    events, and under each flagged line its flags and rewrites; the review status, tags and
    notes above. Needs the session's character and reviewed_by loaded."""
    review = _load(session)
    character = session.character
    day = session.started_at.astimezone(UTC).date()
    facts = [
        f"Started {_utc(session.started_at)} UTC, "
        f"{'in' if session.in_memory else 'not in'} long-term memory, "
        f"{len(review.interactions)} interactions",
        f"Review status: {session.get_review_status_display()}",
    ]
    if session.reviewed_by:
        who = markdown(_username(session.reviewed_by))
        facts[-1] += f", set by {who} on {_utc(session.reviewed_at)} UTC"
    if review.tags:
        facts.append("Tags: " + ", ".join(markdown(tag.name) for tag in review.tags))
    facts.append(f"<{link(character.character_id, session.session_id)}>")
    blocks = [
        f"# {markdown(character.display_name)}: session {markdown(session.session_id)}",
        "\\\n".join(facts),
    ]
    if review.notes:
        blocks.append("## Notes")
        blocks += [
            f"**{markdown(_username(note.author)) or 'A deleted user'}**, "
            f"{_utc(note.created_at)} UTC:\\\n{markdown(note.text)}"
            for note in review.notes
        ]
    blocks.append("## Script")
    for interaction in review.interactions:
        for line in interaction.lines.all():
            flags = review.flags.get(line.pk, [])
            # Blank turns (the character spoke first) say nothing, unless someone flagged one.
            if line.is_blank and not flags:
                continue
            blocks.append(_turn(line, character, day))
            blocks += [_quoted(_flag_block(flag)) for flag in flags]
    if not review.interactions:
        blocks.append("The transcript is not stored yet.")
    return "\n\n".join(blocks) + "\n"


# --- one line as a bug report --------------------------------------------------------------

CONTEXT_TURNS = 2


def bug_report(line: Line, link: SessionLink) -> str:
    """Markdown to paste into a tracker: the line, the turns around it (blank ones left out),
    its permalink and its flags. Needs the line's interaction, session and character loaded.
    Two queries: the session's lines (with their interactions), and the line's flags."""
    session, character = line.session, line.character
    said = [
        turn
        for turn in session.lines.select_related("interaction").order_by(
            "interaction__occurred_at", "interaction__ordinal", "position"
        )
        if not turn.is_blank or turn.pk == line.pk
    ]
    at = next(i for i, turn in enumerate(said) if turn.pk == line.pk)
    day = session.started_at.astimezone(UTC).date()
    context = said[max(0, at - CONTEXT_TURNS) : at + CONTEXT_TURNS + 1]
    flags = Flag.objects.filter(line=line).select_related("author").order_by("created_at", "pk")
    said_by = markdown(_speaker_label(line, character))
    refusal = ", a moderation refusal" if line.is_refusal else ""
    blocks = [
        f"## {markdown(character.display_name)}, session {markdown(session.session_id)}",
        f"**{said_by}** at {_utc(line.interaction.occurred_at)} UTC{refusal}:",
        _quoted(markdown(line.text) or "(blank)"),
        "**Context**, two turns before and after:",
        _quoted(
            "\\\n".join(
                _turn(turn, character, day, ", this line" if turn.pk == line.pk else "")
                for turn in context
            )
        ),
        f"**Permalink:** <{link(character.character_id, session.session_id)}#{line.anchor}>",
        *(_flag_block(flag) for flag in flags),
    ]
    return "\n\n".join(blocks) + "\n"
