"""The backlog's rewrites as chat examples: JSONL in OpenAI's chat fine-tuning shape."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from convai_dashboard.history.models import Line, Speaker
from convai_dashboard.review.exports.common import backlog_chunks
from convai_dashboard.review.models import Flag, FlagStatus
from convai_dashboard.review.queries import BacklogSort

# Flags whose rewrite a writer stands behind.
REWRITE_STATUSES = (FlagStatus.REWRITTEN, FlagStatus.APPROVED)
# OpenAI's pattern for a message's `name`.
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def rewrite_examples(flags: QuerySet[Flag], sort: BacklogSort) -> Iterator[str]:
    """One JSON line for each of a backlog's flags (review.queries.backlog, in its sort) that
    rewrites a character's line: OpenAI's chat fine-tuning shape, the session's turns before
    the line, then the rewrite as the assistant's answer. Two queries a chunk: the flags, and
    the lines of their sessions."""
    rewritten = flags.filter(status__in=REWRITE_STATUSES, line__speaker=Speaker.CHARACTER).exclude(
        rewrite=""
    )
    for page, chunk in backlog_chunks(rewritten, sort):
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
