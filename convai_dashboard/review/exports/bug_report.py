"""One line as a bug report: Markdown to paste into a tracker."""

from __future__ import annotations

from datetime import UTC

from convai_dashboard.history.models import Line
from convai_dashboard.review.exports import SessionLink
from convai_dashboard.review.exports.common import markdown, utc
from convai_dashboard.review.exports.session import flag_block, quoted, script_turn
from convai_dashboard.review.models import Flag

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
    said_by = markdown(line.speaker_label(character))
    refusal = ", a moderation refusal" if line.is_refusal else ""
    blocks = [
        f"## {markdown(character.display_name)}, session {markdown(session.session_id)}",
        f"**{said_by}** at {utc(line.interaction.occurred_at)} UTC{refusal}:",
        quoted(markdown(line.text) or "(blank)"),
        "**Context**, two turns before and after:",
        quoted(
            "\\\n".join(
                script_turn(turn, character, day, ", this line" if turn.pk == line.pk else "")
                for turn in context
            )
        ),
        f"**Permalink:** <{link(character.character_id, session.session_id)}#{line.anchor}>",
        *(flag_block(flag) for flag in flags),
    ]
    return "\n\n".join(blocks) + "\n"
