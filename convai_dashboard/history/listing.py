"""Pages of a session list by keyset: each page continues from the sort key of the last row
shown, through an index, so the last page of 100,000 sessions costs what the first does.

Cursors are (sort value, Convai session ID): the same in every user's copy of a character, so
a link to any page of a list means the same rows to a colleague.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThanOrEqual,
    TupleLessThanOrEqual,
)

from convai_dashboard.history.models import ChatSession


class Sort(models.TextChoices):
    """The orders of the session list, and of its CSV: by a field, then by session ID, so
    that every row has a place of its own."""

    NEWEST = "newest", "Newest first"
    OLDEST = "oldest", "Oldest first"
    LONGEST = "longest", "Longest first"

    @property
    def field(self) -> str:
        return "interaction_count" if self == Sort.LONGEST else "started_at"

    @property
    def descending(self) -> bool:
        return self != Sort.OLDEST

    @property
    def ends(self) -> tuple[str, str]:
        """What the list's first and last pages hold, as its pager names them."""
        return {
            Sort.NEWEST: ("Newest", "Oldest"),
            Sort.OLDEST: ("Oldest", "Newest"),
            Sort.LONGEST: ("Longest", "Shortest"),
        }[self]

    @property
    def order(self) -> tuple[str, str]:
        """The list's order, as order_by() takes it."""
        sign = "-" if self.descending else ""
        return f"{sign}{self.field}", f"{sign}session_id"


SEPARATOR = "~"
# The largest interaction count a cursor can hold (ChatSession.interaction_count).
COUNT_MAX = 2**31 - 1


class BadCursor(ValueError):
    pass


def encode_cursor(session: ChatSession, sort: Sort) -> str:
    value: Any = getattr(session, sort.field)
    if isinstance(value, datetime):
        value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"{value}{SEPARATOR}{session.session_id}"


def decode_cursor(cursor: str, sort: Sort) -> tuple[Any, str]:
    value, separator, session_id = cursor.partition(SEPARATOR)
    if not separator or not session_id:
        raise BadCursor(cursor)
    try:
        if sort.field == "started_at":
            return datetime.fromisoformat(value).replace(tzinfo=UTC), session_id
        count = int(value)
    except ValueError:
        raise BadCursor(cursor) from None
    # A count is stored in 4 bytes: a longer number would overflow the query, not find rows.
    if not 0 <= count <= COUNT_MAX:
        raise BadCursor(cursor)
    return count, session_id


def _beyond(field: str, key: tuple[Any, str], descending: bool) -> Q:
    """Rows past `key` in the sort, as a row value: `(field, session_id) < (v, s)` is one range
    of the sort's index, which both engines start reading at the cursor. The same condition
    spelt `field < v OR (field = v AND session_id < s)` made them read every row before it
    (docs/performance.md, "Keyset pages at depth"). It is asked as `<=` less the cursor's own
    row (a session ID is one row of a character's): PostgreSQL estimates a row value by its
    first column, and `interaction_count < 1` at the end of the longest-first sort, no rows,
    made it pick the smaller index and check the filters row by row."""
    comparison = TupleLessThanOrEqual if descending else TupleGreaterThanOrEqual
    return Q(comparison(Tuple(F(field), F("session_id")), key)) & ~Q(session_id=key[1])


@dataclass(frozen=True)
class SessionPage:
    sessions: list[ChatSession]
    newer: str | None  # cursor of the page before this one (`before=`), if any
    older: str | None  # cursor of the page after this one (`after=`), if any
    is_first: bool
    is_last: bool


def _orders(sort: Sort) -> tuple[str, list[str], list[str], bool]:
    """The sort's field, its order forward and backward, and whether forward is descending."""
    field, descending = sort.field, sort.descending
    forward = list(sort.order)
    backward = [name.lstrip("-") if name.startswith("-") else f"-{name}" for name in forward]
    return field, forward, backward, descending


def page_of(
    sessions: QuerySet[ChatSession],
    sort: Sort,
    *,
    after: tuple[Any, str] | None = None,
    before: tuple[Any, str] | None = None,
    last: bool = False,
    size: int = 50,
) -> SessionPage:
    field, forward, backward, descending = _orders(sort)
    if before is not None or last:
        query = (
            sessions if before is None else sessions.filter(_beyond(field, before, not descending))
        )
        # One row more than a page says whether a page comes before this one.
        rows = list(query.order_by(*backward)[: size + 1])
        is_first = len(rows) <= size
        rows = rows[:size][::-1]
        is_last = last or not rows
    else:
        query = sessions if after is None else sessions.filter(_beyond(field, after, descending))
        rows = list(query.order_by(*forward)[: size + 1])
        is_last = len(rows) <= size
        rows = rows[:size]
        is_first = after is None
    return SessionPage(
        sessions=rows,
        newer=encode_cursor(rows[0], sort) if rows and not is_first else None,
        older=encode_cursor(rows[-1], sort) if rows and not is_last else None,
        is_first=is_first,
        is_last=is_last,
    )


def neighbours(
    sessions: QuerySet[ChatSession], sort: Sort, current: ChatSession
) -> tuple[ChatSession | None, ChatSession | None]:
    """The sessions just before and just after `current` in the list's order (which
    `sessions`, filtered as the list is, need not contain), through the same indexes as a page."""
    field, forward, _, descending = _orders(sort)
    key = (getattr(current, field), current.session_id)
    after = sessions.filter(_beyond(field, key, descending)).order_by(*forward).first()
    return just_before(sessions, sort, current), after


def just_before(
    sessions: QuerySet[ChatSession], sort: Sort, current: ChatSession
) -> ChatSession | None:
    """The session just before `current` in the list's order (`neighbours`' first)."""
    field, _, backward, descending = _orders(sort)
    key = (getattr(current, field), current.session_id)
    return sessions.filter(_beyond(field, key, not descending)).order_by(*backward).first()


def first_after(
    sessions: QuerySet[ChatSession], sort: Sort, current: ChatSession | None
) -> ChatSession | None:
    """The first of `sessions` after `current` in the list's order, or failing that the first
    from the top: "next unreviewed" wraps around."""
    field, forward, _, descending = _orders(sort)
    if current is not None:
        key = (getattr(current, field), current.session_id)
        found = sessions.filter(_beyond(field, key, descending)).order_by(*forward).first()
        if found is not None:
            return found
    return sessions.order_by(*forward).first()
