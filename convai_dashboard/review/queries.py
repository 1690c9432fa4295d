"""What pages read of review data: marks for a page of the session list, a transcript's
review, and the writer's backlog of flags. Each takes sessions or characters that the caller
found through the user's access, and costs a fixed number of queries, whatever the page holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line
from convai_dashboard.review import queues
from convai_dashboard.review.models import (
    Activity,
    Flag,
    FlagStatus,
    Note,
    Reading,
    SessionTag,
    Tag,
)

# A tag on fewer than 1 in FEW_TAGGED of a character's sessions counts as on few of them.
FEW_TAGGED = 200


def tagged(sessions: QuerySet[ChatSession], tag: Tag, *, on: int, of: int) -> QuerySet[ChatSession]:
    """The sessions that carry the tag, which is on `on` of the character's `of` sessions.

    A page walks the list's index and checks each session for the tag, which finds a page
    quickly when the tag is common. For a tag on few sessions that walk would cross most of
    the list, so those few are looked up instead. SQLite must be told which; PostgreSQL plans
    both forms alike (timings in docs/performance.md, "Review")."""
    links = SessionTag.objects.filter(tag=tag)
    if on * FEW_TAGGED < of:
        return sessions.filter(pk__in=links.values("session_id"))
    return sessions.filter(Exists(links.filter(session=OuterRef("pk"))))


@dataclass
class RowMarks:
    """What a session's row in the list, and in its CSV, shows of review besides its status."""

    unread: bool = False
    flags: int = 0
    open_flags: int = 0
    tags: list[Tag] = field(default_factory=list)


def row_marks(
    sessions: Iterable[int], tags: Iterable[Tag], reader: Any = None
) -> dict[int, RowMarks]:
    """The marks of each of these sessions (their pks), the list's and the CSV's alike: its flags
    and open flags, its tags in alphabetical order (`tags` are its character's, so that only
    the links are read), and, for a `reader`, whether they have not opened it. Two queries
    written out: built by the ORM, the three they replace took ten times as long to put
    together as the database to answer (docs/performance.md, "Rendering")."""
    ids = list(sessions)
    if not ids:
        return {}
    among = ", ".join(["%s"] * len(ids))
    flags = f"SELECT {{}} FROM {Flag._meta.db_table} f WHERE f.session_id = s.id"
    read = (
        f"EXISTS (SELECT 1 FROM {Reading._meta.db_table} r "
        "WHERE r.user_id = %s AND r.session_id = s.id)"
        if reader is not None
        else "1"
    )
    marks = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.id, ({flags.format('count(*)')}), "
            f"({flags.format('count(*)')} AND f.status = %s), {read} "
            f"FROM {ChatSession._meta.db_table} s WHERE s.id IN ({among})",
            [FlagStatus.OPEN, *([reader.pk] if reader is not None else []), *ids],
        )
        for pk, total, open_flags, was_read in cursor.fetchall():
            marks[pk] = RowMarks(unread=not was_read, flags=total, open_flags=open_flags)
        cursor.execute(
            f"SELECT session_id, tag_id FROM {SessionTag._meta.db_table} "
            f"WHERE session_id IN ({among})",
            ids,
        )
        by_pk = {tag.pk: tag for tag in tags}
        for pk, tag in cursor.fetchall():
            marks[pk].tags.append(by_pk[tag])
    for mark in marks.values():
        mark.tags.sort(key=lambda tag: tag.name)
    return marks


@dataclass(frozen=True)
class TranscriptReview:
    flags_by_line: dict[int, list[Flag]]
    tags: list[Tag]  # on this session
    all_tags: list[Tag]  # of the character, to choose from
    notes: list[Note]
    activity: list[Activity]


def transcript_review(
    session: ChatSession, all_tags: list[Tag] | None = None, reader: Any = None
) -> TranscriptReview:
    """The review data of a transcript; `all_tags`, the character's tags, when the page has
    read them already (the session list's filters do). One query says which kinds it has, and
    only those are read: most transcripts opened have none.

    A `reader` reviewing the session in a blind queue sees none of the flags and activity
    others added since it joined the queue, until its reviews are in."""
    kinds = (Flag, SessionTag, Note, Activity)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "
            + ", ".join(
                f"EXISTS (SELECT 1 FROM {kind._meta.db_table} WHERE session_id = %s)"
                for kind in kinds
            ),
            [session.pk] * len(kinds),
        )
        has_flags, has_tags, has_notes, has_activity = cursor.fetchone()
    since = queues.blinded_since(session, reader) if has_flags or has_activity else None
    flags = Flag.objects.filter(session=session)
    activity = Activity.objects.filter(session=session)
    if since is not None:
        flags = flags.exclude(Q(created_at__gte=since) & ~Q(author=reader))
        activity = activity.exclude(Q(at__gte=since) & ~Q(actor=reader))
    flags_by_line: dict[int, list[Flag]] = defaultdict(list)
    if has_flags:
        for flag in flags.select_related("author", "updated_by").order_by("created_at", "pk"):
            flags_by_line[flag.line_id].append(flag)
    if all_tags is None:
        all_tags = list(Tag.objects.filter(character_id=session.character_id))
    on_session = (
        set(SessionTag.objects.filter(session=session).values_list("tag_id", flat=True))
        if has_tags
        else set()
    )
    return TranscriptReview(
        flags_by_line=dict(flags_by_line),
        tags=[tag for tag in all_tags if tag.pk in on_session],
        all_tags=all_tags,
        notes=list(Note.objects.filter(session=session).select_related("author"))
        if has_notes
        else [],
        activity=list(activity.select_related("actor")) if has_activity else [],
    )


# --- the writer's backlog -----------------------------------------------------------------


class BacklogSort(models.TextChoices):
    """The orders of the backlog, and of its exports."""

    NEWEST = "newest", "Newest first"
    OLDEST = "oldest", "Oldest first"
    UPDATED = "updated", "Recently changed"
    CATEGORY = "category", "By category"
    STATUS = "status", "By status"

    @property
    def order(self) -> tuple[str, ...]:
        """The order, as order_by() takes it; the last field tells every flag apart, as a
        keyset needs (history.keyset)."""
        newest = ("-created_at", "-pk")
        return {
            BacklogSort.NEWEST: newest,
            BacklogSort.OLDEST: ("created_at", "pk"),
            BacklogSort.UPDATED: ("-updated_at", "-pk"),
            BacklogSort.CATEGORY: ("category", *newest),
            BacklogSort.STATUS: ("status", *newest),
        }[self]


def backlog(characters: QuerySet[ConvaiCharacter], filters: dict[str, Any]) -> QuerySet[Flag]:
    """The flags of these characters (those the user holds, or one) that pass the filters."""
    flags = Flag.objects.filter(character__in=characters)
    if filters.get("category"):
        flags = flags.filter(category=filters["category"])
    if filters.get("status"):
        flags = flags.filter(status=filters["status"])
    if filters.get("author"):
        flags = flags.filter(author=filters["author"])
    if filters.get("since"):
        flags = flags.filter(created_at__gte=_midnight(filters["since"]))
    if filters.get("until"):
        flags = flags.filter(created_at__lt=_midnight(filters["until"] + timedelta(days=1)))
    return flags.order_by(*filters.get("sort", BacklogSort.NEWEST).order)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def with_context(flags: list[Flag], before: int = 2, after: int = 1) -> None:
    """Loads, for each flag, its line's session and character, and `context`: the turns around
    the line (`before` ahead of it, `after` behind it, across interactions, blank ones left
    out), in two queries for the whole page."""
    lines = {
        line.pk: line
        for line in Line.objects.filter(pk__in=[flag.line_id for flag in flags]).select_related(
            "interaction", "session", "character"
        )
    }
    sessions = {line.session_id for line in lines.values()}
    said: dict[int, list[Line]] = defaultdict(list)
    for line in (
        Line.objects.filter(session_id__in=sessions)
        .exclude(text="")
        .select_related("interaction")
        .order_by("interaction__occurred_at", "interaction__ordinal", "position")
    ):
        said[line.session_id].append(line)
    for flag in flags:
        line = lines[flag.line_id]
        flag.line = line
        turns = said[line.session_id]
        at = next((i for i, turn in enumerate(turns) if turn.pk == line.pk), None)
        flag.context = (  # type: ignore[attr-defined]
            [line] if at is None else turns[max(0, at - before) : at + after + 1]
        )


def authors(characters: QuerySet[ConvaiCharacter]) -> QuerySet[Any]:
    """The users who flagged lines of these characters, for the backlog's author filter."""
    return (
        get_user_model()
        .objects.filter(Q(pk__in=Flag.objects.filter(character__in=characters).values("author")))
        .order_by("username")
    )


def open_flag_count(character: ConvaiCharacter) -> int:
    """The character's open flags: what its writers have yet to answer, as the backlog
    filtered to open flags lists them."""
    return Flag.objects.filter(character=character, status=FlagStatus.OPEN).count()
