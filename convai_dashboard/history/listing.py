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
from django.db.models import QuerySet

from convai_dashboard.history import keyset
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
        """The list's order, as order_by() takes it (and history.keyset)."""
        sign = "-" if self.descending else ""
        return f"{sign}{self.field}", f"{sign}session_id"

    def key(self, session: ChatSession) -> tuple[Any, str]:
        """The session's place in this order."""
        return getattr(session, self.field), session.session_id


SEPARATOR = "~"
# The largest interaction count a cursor can hold (ChatSession.interaction_count).
COUNT_MAX = 2**31 - 1


class BadCursor(ValueError):
    pass


def encode_cursor(session: ChatSession, sort: Sort) -> str:
    value, session_id = sort.key(session)
    if isinstance(value, datetime):
        value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return f"{value}{SEPARATOR}{session_id}"


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


@dataclass(frozen=True)
class SessionPage:
    sessions: list[ChatSession]
    newer: str | None  # cursor of the page before this one (`before=`), if any
    older: str | None  # cursor of the page after this one (`after=`), if any
    is_first: bool
    is_last: bool


def page_of(
    sessions: QuerySet[ChatSession],
    sort: Sort,
    *,
    after: tuple[Any, str] | None = None,
    before: tuple[Any, str] | None = None,
    last: bool = False,
    size: int = 50,
) -> SessionPage:
    if before is not None or last:
        back = keyset.backward(sort.order)
        query = sessions if before is None else sessions.filter(keyset.beyond(back, before))
        # One row more than a page says whether a page comes before this one.
        rows = list(query.order_by(*back)[: size + 1])
        is_first = len(rows) <= size
        rows = rows[:size][::-1]
        is_last = last or not rows
    else:
        query = sessions if after is None else sessions.filter(keyset.beyond(sort.order, after))
        rows = list(query.order_by(*sort.order)[: size + 1])
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
    after = keyset.beyond(sort.order, sort.key(current))
    following = sessions.filter(after).order_by(*sort.order).first()
    return just_before(sessions, sort, current), following


def just_before(
    sessions: QuerySet[ChatSession], sort: Sort, current: ChatSession
) -> ChatSession | None:
    """The session just before `current` in the list's order (`neighbours`' first)."""
    back = keyset.backward(sort.order)
    return sessions.filter(keyset.beyond(back, sort.key(current))).order_by(*back).first()


def first_after(
    sessions: QuerySet[ChatSession], sort: Sort, current: ChatSession | None
) -> ChatSession | None:
    """The first of `sessions` after `current` in the list's order, or failing that the first
    from the top: "next unreviewed" wraps around."""
    if current is not None:
        found = (
            sessions.filter(keyset.beyond(sort.order, sort.key(current)))
            .order_by(*sort.order)
            .first()
        )
        if found is not None:
            return found
    return sessions.order_by(*sort.order).first()
