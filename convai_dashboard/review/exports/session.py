"""One session, loaded once: as JSON in the shape of Convai's chatHistory/details beside its
review data, and as a Markdown script for writers; and the script's pieces, which a bug
report (review.exports.bug_report) shares."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Interaction, Line
from convai_dashboard.review.exports import SessionLink
from convai_dashboard.review.exports.common import (
    markdown,
    username,
    utc,
)
from convai_dashboard.review.models import Flag, Note, Tag


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


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat() if at else None


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
                "author": username(flag.author),
                "created_at": _iso(flag.created_at),
                "updated_by": username(flag.updated_by),
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
            "reviewed_by": username(session.reviewed_by) or None,
            "reviewed_at": _iso(session.reviewed_at),
            "tags": [tag.name for tag in review.tags],
            "notes": [
                {
                    "author": username(note.author),
                    "created_at": _iso(note.created_at),
                    "text": note.text,
                }
                for note in review.notes
            ],
            "flags": flags,
        },
    }


def quoted(block: str) -> str:
    """A Markdown block inside a block quote."""
    return "\n".join(f"> {line}" if line else ">" for line in block.split("\n"))


def _clock(at: datetime, day: date) -> str:
    """A line's time in a script of a session that started on `day`."""
    at = at.astimezone(UTC)
    return f"{at:%H:%M:%S}" if at.date() == day else f"{at:%Y-%m-%d %H:%M:%S}"


def script_turn(line: Line, character: ConvaiCharacter, day: date, note: str = "") -> str:
    """One turn of a script: **Speaker** (time): text."""
    label = markdown(line.speaker_label(character))
    when = _clock(line.interaction.occurred_at, day)
    refusal = ", moderation refusal" if line.is_refusal else ""
    return f"**{label}** ({when}{refusal}{note}): {markdown(line.text)}"


def flag_block(flag: Flag) -> str:
    """A flag as lines of Markdown: what, by whom, the comment and the rewrite."""
    lines = [
        f"**Flag: {flag.get_category_display()}** ({flag.get_status_display()}), "
        f"by {markdown(username(flag.author)) or 'a deleted user'} on {utc(flag.created_at)} UTC"
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
        f"Started {utc(session.started_at)} UTC, "
        f"{'in' if session.in_memory else 'not in'} long-term memory, "
        f"{len(review.interactions)} interactions",
        f"Review status: {session.get_review_status_display()}",
    ]
    if session.reviewed_by:
        who = markdown(username(session.reviewed_by))
        facts[-1] += f", set by {who} on {utc(session.reviewed_at)} UTC"
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
            f"**{markdown(username(note.author)) or 'A deleted user'}**, "
            f"{utc(note.created_at)} UTC:\\\n{markdown(note.text)}"
            for note in review.notes
        ]
    blocks.append("## Script")
    for interaction in review.interactions:
        for line in interaction.lines.all():
            flags = review.flags.get(line.pk, [])
            # Blank turns (the character spoke first) say nothing, unless someone flagged one.
            if line.is_blank and not flags:
                continue
            blocks.append(script_turn(line, character, day))
            blocks += [quoted(flag_block(flag)) for flag in flags]
    if not review.interactions:
        blocks.append("The transcript is not stored yet.")
    return "\n\n".join(blocks) + "\n"
