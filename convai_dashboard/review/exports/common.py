"""What the exports share: the text that neutralises what Convai or a user wrote (`cell` for
CSV, `markdown` for Markdown), times and names as every export writes them, and the keyset
chunks that lists are read in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet

from convai_dashboard.history import keyset
from convai_dashboard.review.models import Flag
from convai_dashboard.review.queries import BacklogSort

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


# --- shared pieces -------------------------------------------------------------------------


def utc(at: datetime | None) -> str:
    """2026-10-01 12:00:00 (UTC, as Convai records times)."""
    # isoformat without its "+00:00": strftime was the slowest part of a row of the list.
    return at.astimezone(UTC).isoformat(" ", "seconds")[:19] if at else ""


def username(user: Any) -> str:
    # A deleted user's review work stays, unsigned.
    return user.username if user is not None else ""


def chunks[T](
    rows: QuerySet[Any, T], order: Sequence[str], value: Callable[[T, str], Any]
) -> Iterator[tuple[QuerySet[Any, T], list[T]]]:
    """The rows in chunks of CHUNK, in this order (history.keyset.chunks)."""
    return keyset.chunks(rows, order, value, CHUNK)


def backlog_chunks(
    flags: QuerySet[Flag], sort: BacklogSort
) -> Iterator[tuple[QuerySet[Flag], list[Flag]]]:
    """The flags with their line, interaction, session, character and author, in the backlog's
    sort, a chunk (one query) at a time."""
    loaded = flags.select_related("line__interaction", "session", "character", "author").defer(
        # A second copy of each line's text, for search alone.
        "line__search_text"
    )
    return chunks(loaded, sort.order, getattr)
