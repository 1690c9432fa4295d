"""Full-text search over stored lines: one interface, two engines (SQLite FTS5 for the embedded
default, a PostgreSQL GIN index for teams), both over the same folded text (text.py).

Results come 50 at a time, most recently stored first, continued by line id. FTS5 reads a term's
matches newest first and stops at the end of the page. PostgreSQL walks lines from the newest
for a common word, and sorts the matches of a rare one: migration 0007 and settings.py say
what makes it choose well.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q

from convai_dashboard.history.models import ConvaiCharacter, Line
from convai_dashboard.history.text import Term, parse_query

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


# Turns either side of a hit shown with it: the whole exchange of a real interaction (two or
# three turns), and a bounded part of one that Convai sent with thousands.
CONTEXT_TURNS = 3


def _fts5_query(terms: list[Term]) -> str:
    # Each term is a quoted FTS5 string, so nothing a user types is read as FTS5 syntax; the
    # folded words hold only letters and digits anyway.
    return " AND ".join('"' + " ".join(t.words) + '"' + ("*" if t.prefix else "") for t in terms)


def _tsquery(terms: list[Term]) -> str:
    def term(t: Term) -> str:
        lexemes = [f"'{w}'" for w in t.words]
        if t.prefix:
            lexemes[-1] += ":*"
        return "(" + " <-> ".join(lexemes) + ")"

    return " & ".join(term(t) for t in terms)


def matching_line_ids(
    terms: list[Term], character_ids: list[int], before: int | None, limit: int
) -> list[int]:
    """Ids of the newest lines of these characters that match every term."""
    if not character_ids:
        return []
    line = Line._meta.db_table
    # Lines name their character, so hits are filtered by the reader's characters without
    # joining sessions. A reader holds a few characters: their ids are bound one by one.
    conditions = [f"l.character_id IN ({', '.join(['%s'] * len(character_ids))})"]
    params: list[int] = list(character_ids)
    if before is not None:
        conditions.append("l.id < %s")
        params.append(before)
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT l.id FROM {line}_fts f JOIN {line} l ON l.id = f.rowid "
            f"WHERE {line}_fts MATCH %s AND {' AND '.join(conditions)} "
            "ORDER BY f.rowid DESC LIMIT %s"
        )
        match = _fts5_query(terms)
    else:
        sql = (
            f"SELECT l.id FROM {line} l WHERE l.search_vector @@ to_tsquery('simple', %s) "
            f"AND {' AND '.join(conditions)} ORDER BY l.id DESC LIMIT %s"
        )
        match = _tsquery(terms)
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit])
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Results:
    terms: list[Term]
    # The page's hits, newest said first, each with its interaction, session and character
    # loaded, and `exchange`: the lines of its interaction around it in order, the context it
    # was said in.
    lines: list[Line]
    more: bool  # another page follows: the hits stored before these

    @property
    def next_before(self) -> int | None:
        return min(line.pk for line in self.lines) if self.more and self.lines else None


def search_lines(
    user: AbstractBaseUser | AnonymousUser,
    query: str,
    *,
    character: ConvaiCharacter | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Results:
    """Lines that match, of every character the user holds, or of one of them."""
    terms = parse_query(query)
    if not terms:
        return Results(terms, [], False)
    held = ConvaiCharacter.objects.for_user(user)
    if character is not None:
        held = held.filter(pk=character.pk)
    character_ids = list(held.values_list("pk", flat=True))
    ids = matching_line_ids(terms, character_ids, before, limit + 1)
    hit_ids = ids[:limit]
    if not hit_ids:
        return Results(terms, [], False)
    # The hits and the lines said around them, in one query: the turns within CONTEXT_TURNS
    # of each hit in its interaction.
    around = Q()
    for interaction_id, position in Line.objects.filter(pk__in=hit_ids).values_list(
        "interaction_id", "position"
    ):
        low, high = position - CONTEXT_TURNS, position + CONTEXT_TURNS
        around |= Q(interaction_id=interaction_id, position__range=(low, high))
    exchanges: dict[int, list[Line]] = defaultdict(list)
    by_pk = {}
    for line in (
        Line.objects.filter(around)
        .select_related("interaction", "session", "character")
        .defer("search_text")
        .order_by("position")
    ):
        by_pk[line.pk] = line
        # An empty player side says nothing worth showing as context.
        if not line.is_blank:
            exchanges[line.interaction_id].append(line)
    hits = [by_pk[pk] for pk in hit_ids if pk in by_pk]
    # Pages follow storage order, which syncs keep close to conversation time (they store the
    # oldest transcripts first); transcripts fetched side by side can land a few places apart,
    # so a page is put in the order its lines were said.
    hits.sort(key=lambda hit: (hit.interaction.occurred_at, hit.position, hit.pk), reverse=True)
    for hit in hits:
        hit.exchange = [  # type: ignore[attr-defined]
            line
            for line in exchanges[hit.interaction_id]
            if abs(line.position - hit.position) <= CONTEXT_TURNS
        ]
    return Results(terms, hits, len(ids) > limit)
