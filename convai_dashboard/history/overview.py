"""The numbers of a character's overview: over a period of its history, sessions per day, the
hours players start talking, how long stored transcripts run, the shares added to long-term
memory and with trigger inputs, and where review stands.

A period is a number of whole UTC days ending on the day of the newest stored session (or all
of the history): the store knows only what has been synced, so a period that ended today would
show an out-of-date store as a game nobody plays.

The same few queries whatever the size of the history: the newest session (and the oldest,
for all of it), then three aggregates of the period, each of which reads only the index
session_by_start, which holds every column they count, cached until the store writes again;
and the review statuses, counted each time from session_by_status (plans and timings in
docs/performance.md, "Overview").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Value
from django.db.models.functions import ExtractHour

from convai_dashboard.cached import kept
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, ReviewStatus

# Upper bounds of the buckets of session length, in interactions of a stored transcript: the
# 1-2-5 series, so that both the many short sessions and the long tail can be read. The last
# bucket has no upper bound.
LENGTH_BOUNDS = (0, 1, 2, 5, 10, 20, 50)
# Cached counts are found by the stored version, so they are never out of date: the limit only
# lets those of older versions go.
COUNTS_CACHED_FOR = 24 * 60 * 60


class UtcHour(ExtractHour):
    """The UTC hour of a moment, in the database's own terms: Django's ExtractHour calls a
    Python function once a row on SQLite, and on PostgreSQL asks EXTRACT for a numeric, which
    is slower to make than date_part's float."""

    def __init__(self, expression: str) -> None:
        super().__init__(expression, tzinfo=UTC)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.lhs)
        # Django stores a moment on SQLite as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": the
        # hour is a slice of it, quicker than strftime's parse.
        return f"CAST(substr({sql}, 12, 2) AS INTEGER)", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.lhs)
        return f"CAST(date_part('hour', {sql} AT TIME ZONE 'UTC') AS integer)", params


@dataclass(frozen=True)
class LengthBucket:
    low: int
    high: int | None  # None: no upper bound
    sessions: int

    @property
    def label(self) -> str:
        if self.high is None:
            return f"{self.low}+"
        return str(self.low) if self.low == self.high else f"{self.low}\N{EN DASH}{self.high}"


@dataclass(frozen=True)
class Overview:
    days: int | None  # the period asked for; None for the whole history
    first_day: date | None  # None when the character has no stored session
    last_day: date | None
    sessions: int
    per_day: list[tuple[date, int]]  # every day of the period, in order, days without sessions too
    per_hour: list[int]  # sessions started in each UTC hour, 0 to 23
    stored: int  # sessions whose transcript is stored: lengths and triggers are known for these
    in_memory: int
    with_trigger: int
    lengths: list[LengthBucket]
    statuses: list[tuple[ReviewStatus, int]]  # in ReviewStatus's order, each of them

    @property
    def is_empty(self) -> bool:
        return self.sessions == 0


def _count(condition: Q) -> Count:
    # COUNT(1) FILTER: Count("*") takes no filter, and counting a column costs a read of it
    # on every row.
    return Count(Value(1), filter=condition)


# The buckets' bounds, both inclusive; the last bucket has no upper bound.
_LENGTH_LOWS = (0, *(bound + 1 for bound in LENGTH_BOUNDS))
_LENGTH_HIGHS: tuple[int | None, ...] = (*LENGTH_BOUNDS, None)


def _length_buckets(counts: list[int]) -> list[LengthBucket]:
    return [
        LengthBucket(low, high, n)
        for low, high, n in zip(_LENGTH_LOWS, _LENGTH_HIGHS, counts, strict=True)
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _sessions_per_day(of: ConvaiCharacter, days: list[date]) -> list[int]:
    """The sessions started on each of `days` (UTC), in one query that counts each day as a
    range of the index session_by_start: grouping by a day computed from each start made
    SQLite sort every session of the period. Two parameters a day: SQLite takes 32,766, so
    up to 44 years."""
    meta, quote = ChatSession._meta, connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)  # type: ignore[union-attr,arg-type]

    table, character, started_at = quote(meta.db_table), column("character"), column("started_at")
    adapt = connection.ops.adapt_datetimefield_value
    bounds: list[Any] = []
    for day in days:
        bounds += [adapt(_midnight(day)), adapt(_midnight(day + timedelta(days=1)))]
    # A VALUES list is the one table of days both engines read alike; its columns are
    # column1, column2 on both.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {table} WHERE {character} = %s"
        f" AND {started_at} >= day.column1 AND {started_at} < day.column2)"
        f" FROM (VALUES {', '.join(['(%s, %s)'] * len(days))}) AS day ORDER BY day.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [of.pk, *bounds])
        return [n for (n,) in cursor.fetchall()]


def overview_of(character: ConvaiCharacter, days: int | None) -> Overview:
    """The overview of the `days` whole UTC days up to the newest stored session, or of the
    whole history when `days` is None.

    The counts of sessions are cached under the character's stored_version, which the store
    counts up with every write of sessions or transcripts: a year of 100,000 sessions costs
    two passes over the index, which need not be paid again until something new is stored.
    The review statuses (from session_by_status) are cached under its review_version too,
    which every change of a status counts up (docs/performance.md, "Overview")."""
    counts = kept(
        "overview",
        lambda: _session_counts(character, days),
        characters=[character],
        reader=None,
        reads=days,
        review=False,
        seconds=COUNTS_CACHED_FOR,
    )
    if counts.first_day is None:
        return replace(counts, statuses=[(status, 0) for status in ReviewStatus])
    by_status = kept(
        "overview-statuses",
        lambda: dict(
            character.sessions.matching(
                {"start_from": counts.first_day, "start_to": counts.last_day}
            )
            .values_list("review_status")
            .annotate(n=Count("*"))
            .order_by()
        ),
        characters=[character],
        reader=None,
        reads=days,
        seconds=COUNTS_CACHED_FOR,
    )
    return replace(counts, statuses=[(status, by_status.get(status, 0)) for status in ReviewStatus])


def _session_counts(character: ConvaiCharacter, days: int | None) -> Overview:
    """The overview without its review statuses (left empty)."""
    newest = character.sessions.order_by("-started_at").values_list("started_at", flat=True).first()
    if newest is None:
        return Overview(
            days=days,
            first_day=None,
            last_day=None,
            sessions=0,
            per_day=[],
            per_hour=[0] * 24,
            stored=0,
            in_memory=0,
            with_trigger=0,
            lengths=_length_buckets([0] * (len(LENGTH_BOUNDS) + 1)),
            statuses=[],
        )
    last_day = newest.astimezone(UTC).date()
    first_day = None if days is None else last_day - timedelta(days=days - 1)
    # The list's own date filters, so a link to the list with the same days shows the same
    # sessions; the upper bound keeps out sessions stored since the newest was read.
    sessions = character.sessions.matching({"start_from": first_day, "start_to": last_day})
    if first_day is None:
        oldest = character.sessions.order_by("started_at").values_list("started_at", flat=True)
        first_day = oldest[0].astimezone(UTC).date()
    days_shown = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    per_day = _sessions_per_day(character, days_shown)
    # COUNT(*), not COUNT(id): PostgreSQL answers from an index alone only when every column
    # the query names is in it. order_by() drops the model's ordering from the GROUP BY.
    by_hour = dict(
        sessions.annotate(hour=UtcHour("started_at"))
        .values_list("hour")
        .annotate(n=Count("*"))
        .order_by()
    )
    # Everything else in one pass of the period's index entries, without GROUP BY: SQLite
    # groups by sorting every row. A count of interactions is 0 until the transcript is
    # stored, so every session counted above 0 is stored, and the stored ones without any
    # interaction are those of the stored that no other bucket counts.
    lengths = list(zip(_LENGTH_LOWS[1:], _LENGTH_HIGHS[1:], strict=True))
    counts = sessions.aggregate(
        stored=Count("transcript_fetched_at"),
        in_memory=_count(Q(in_memory=True)),
        with_trigger=_count(Q(has_trigger=True)),
        **{
            f"length_{low}": _count(
                Q(interaction_count__gte=low)
                & (Q() if high is None else Q(interaction_count__lte=high))
            )
            for low, high in lengths
        },
    )
    by_length = [counts[f"length_{low}"] for low, _ in lengths]
    by_length.insert(0, counts["stored"] - sum(by_length))
    return Overview(
        days=days,
        first_day=first_day,
        last_day=last_day,
        sessions=sum(per_day),
        per_day=list(zip(days_shown, per_day, strict=True)),
        per_hour=[by_hour.get(hour, 0) for hour in range(24)],
        stored=counts["stored"],
        in_memory=counts["in_memory"],
        with_trigger=counts["with_trigger"],
        lengths=_length_buckets(by_length),
        statuses=[],
    )
