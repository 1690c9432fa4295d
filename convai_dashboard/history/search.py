"""Full-text search over stored lines: one interface, two engines (SQLite FTS5 for the embedded
default, a PostgreSQL GIN index for teams), both over the same folded text (text.py).

Results come 50 at a time, most recently stored first, continued by line id. FTS5 reads a term's
matches newest first and stops at the end of the page. PostgreSQL walks lines from the newest
for a common word, and sorts the matches of a rare one: migration 0007 and settings.py say
what makes it choose well. For several terms or a phrase its planner cannot tell whether the
words ever meet, so the plan is chosen here (matching_line_ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.db import connection

from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Interaction, Line
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


def _word_pairs(terms: list[Term]) -> list[str]:
    """The pairs of adjacent words of every phrase, as migration 0019 indexes them: a line
    that holds a phrase holds each of its pairs. A prefix's pair is left out."""
    pairs = []
    for t in terms:
        whole = t.words[:-1] if t.prefix else t.words
        pairs += [f"{a} {b}" for a, b in pairwise(whole)]
    return pairs


def _owned(character_ids: list[int], before: int | None) -> tuple[str, list[Any]]:
    """The condition that a line `l` is of these characters and before the cursor."""
    # Lines name their character, so hits are filtered by the reader's characters without
    # joining sessions. A reader holds a few characters: their ids are bound one by one.
    conditions = [f"l.character_id IN ({', '.join(['%s'] * len(character_ids))})"]
    params: list[Any] = list(character_ids)
    if before is not None:
        conditions.append("l.id < %s")
        params.append(before)
    return " AND ".join(conditions), params


def _matching_sql(
    terms: list[Term], character_ids: list[int], before: int | None, *, newest_first: bool
) -> tuple[str, list[Any]]:
    """SELECT id, session_id of the lines of these characters that match every term."""
    line = Line._meta.db_table
    owned, params = _owned(character_ids, before)
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT l.id, l.session_id FROM {line}_fts f JOIN {line} l ON l.id = f.rowid "
            f"WHERE {line}_fts MATCH %s AND {owned}"
        )
        order = " ORDER BY f.rowid DESC"
        match = _fts5_query(terms)
    else:
        sql = (
            f"SELECT l.id, l.session_id FROM {line} l "
            f"WHERE l.search_vector @@ to_tsquery('simple', %s) AND {owned}"
        )
        order = " ORDER BY l.id DESC"
        match = _tsquery(terms)
    return sql + (order if newest_first else ""), [match, *params]


# How many of the newest lines PostgreSQL walks for several terms or a phrase before it
# collects older matches from the indexes: walking them costs little, and words that meet in
# fewer of them have few matches in all (docs/performance.md, "Search").
NEWEST_WALKED = 10_000


def _several_words_on_postgresql(terms: list[Term]) -> bool:
    """Whether PostgreSQL searches by walking the newest lines first: for several terms or a
    phrase, whose words its planner takes to meet as often as chance would have them."""
    return connection.vendor == "postgresql" and (len(terms) > 1 or len(terms[0].words) > 1)


def _newest_lines(owned: str) -> str:
    """SELECT the newest lines of these characters (`owned`, from _owned), with what a walk
    checks of each, up to a LIMIT given as the last parameter."""
    return (
        f"SELECT l.id, l.session_id, l.search_vector FROM {Line._meta.db_table} l "
        f"WHERE {owned} ORDER BY l.id DESC LIMIT %s"
    )


def matching_line_ids(
    terms: list[Term], character_ids: list[int], before: int | None, limit: int
) -> list[int]:
    """Ids of the newest lines of these characters that match every term."""
    if not character_ids:
        return []
    if _several_words_on_postgresql(terms):
        return _walk_then_collect(terms, character_ids, before, limit)
    sql, params = _matching_sql(terms, character_ids, before, newest_first=True)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*params, limit])
        return [row[0] for row in cursor.fetchall()]


def _walk_then_collect(
    terms: list[Term], character_ids: list[int], before: int | None, limit: int
) -> list[int]:
    """PostgreSQL's plan for several terms or a phrase.

    Its planner takes words to meet as often as chance would have them, and walks lines from
    the newest to the page's last hit. Common words that never meet in a line, or never side
    by side, had it walk every line to find none. Here it walks the newest NEWEST_WALKED
    lines; if they hold fewer hits than a page, the older hits are collected from the GIN
    indexes (the words', and their pairs' for a phrase), which find none without reading a
    line, and sorted.
    """
    line = Line._meta.db_table
    owned, owned_params = _owned(character_ids, before)
    newest = _newest_lines(owned)
    newest_params = [*owned_params, NEWEST_WALKED]
    query = _tsquery(terms)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM ({newest}) AS newest "
            "WHERE search_vector @@ to_tsquery('simple', %s) ORDER BY id DESC LIMIT %s",
            [*newest_params, query, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) == limit:
            return ids
        pairs = _word_pairs(terms)
        # Only here: checked line by line, the pairs would cost more than the words.
        phrases = " AND history_word_pairs(l.search_text) @> %s::text[]" if pairs else ""
        # MATERIALIZED: planned alone, the collection reads the indexes; under the LIMIT the
        # planner would walk the older lines again, expecting hits soon.
        cursor.execute(
            f"WITH older AS MATERIALIZED (SELECT l.id FROM {line} l "
            f"WHERE l.search_vector @@ to_tsquery('simple', %s){phrases} AND {owned} "
            f"AND l.id < (SELECT min(id) FROM ({newest}) AS newest)) "
            "SELECT id FROM older ORDER BY id DESC LIMIT %s",
            [query, *([pairs] if pairs else []), *owned_params, *newest_params, limit - len(ids)],
        )
        return ids + [row[0] for row in cursor.fetchall()]


# Counting every match of a common word would cost more than the page; past this many, the
# page says "more than". Each match counted is a look-up of its line (for its character and
# session): counting ten times as many cost more than the rest of the page, to tell a reader
# what "more than 1,000" tells them (docs/performance.md, "Search").
COUNT_UP_TO = 1_000


# How many of the newest lines PostgreSQL walks to count several terms or a phrase before it
# counts from the indexes: words that meet in one line in 20 of these meet often enough to
# pass the count's cap among them.
NEWEST_COUNTED = 20_000


def count_matches(terms: list[Term], character_ids: list[int], up_to: int) -> tuple[int, int]:
    """(matching lines, sessions they are in), counting at most `up_to` + 1 lines."""
    if not character_ids:
        return 0, 0
    if _several_words_on_postgresql(terms):
        counted = _count_among_newest(terms, character_ids, up_to)
        if counted[0] > up_to:
            return counted
    sql, params = _matching_sql(terms, character_ids, None, newest_first=False)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT session_id) FROM ({sql} LIMIT %s) AS found",
            [*params, up_to + 1],
        )
        lines, sessions = cursor.fetchone()
    return lines, sessions


def _count_among_newest(terms: list[Term], character_ids: list[int], up_to: int) -> tuple[int, int]:
    """count_matches among the newest NEWEST_COUNTED lines. Two common words that often meet
    (`flight gate`, in 103,662 of 1.3 million lines) had PostgreSQL's index build a bitmap of
    every line they meet in to count the first 1,001; walking the newest lines finds them
    sooner (docs/performance.md, "Search")."""
    owned, params = _owned(character_ids, None)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT session_id) FROM (SELECT session_id FROM "
            f"({_newest_lines(owned)}) AS newest "
            "WHERE search_vector @@ to_tsquery('simple', %s) LIMIT %s) AS found",
            [*params, NEWEST_COUNTED, _tsquery(terms), up_to + 1],
        )
        lines, sessions = cursor.fetchone()
    return lines, sessions


# What a hit and the lines around it show (templates/jinja2/history/_hit_groups.jinja).
SHOWN_OF_LINE = (
    "interaction",
    "session",
    "character",
    "position",
    "speaker",
    "text",
    "interaction__occurred_at",
    "interaction__ordinal",
    "interaction__is_trigger_input",
)


@dataclass
class Exchange:
    """One interaction with a hit: its lines said with content, in order, and which are hits."""

    interaction: Interaction
    lines: list[Line]
    hit_ids: set[int] = field(default_factory=set)

    @property
    def first_hit(self) -> Line:
        return next(line for line in self.lines if line.pk in self.hit_ids)


@dataclass
class SessionHits:
    session: ChatSession
    character: ConvaiCharacter
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    terms: list[Term]
    # The page's hits grouped by conversation, the conversation with the newest hit first; in
    # each, its exchanges newest first, each once however many of its lines match.
    groups: list[SessionHits]
    lines: list[Line]  # the page's hits, newest said first
    more: bool  # another page follows: the hits stored before these
    next_before: int | None  # where it starts
    # Over every page: lines and sessions that match (lines capped at COUNT_UP_TO + 1).
    total_lines: int | None = None
    total_sessions: int | None = None

    @property
    def capped(self) -> bool:
        return self.total_lines is not None and self.total_lines > COUNT_UP_TO


def search_lines(
    user: AbstractBaseUser | AnonymousUser,
    query: str,
    *,
    character: ConvaiCharacter | None = None,
    before: int | None = None,
    limit: int = 50,
) -> Results:
    """Lines that match, of every character the user holds, or of one of them; the first page
    also counts them all."""
    terms = parse_query(query)
    if not terms:
        return Results(terms, [], [], False, None)
    held = ConvaiCharacter.objects.for_user(user)
    if character is not None:
        held = held.filter(pk=character.pk)
    # What a hit shows of its character, read with their ids.
    characters = held.only("character_id", "name").in_bulk()
    character_ids = list(characters)
    ids = matching_line_ids(terms, character_ids, before, limit + 1)
    hit_ids = ids[:limit]
    if not hit_ids:
        # The first page counts its hits (none); later ones never count.
        nothing = 0 if before is None else None
        return Results(terms, [], [], False, None, nothing, nothing)
    # The hits and the lines said around them, in one query: the turns within CONTEXT_TURNS
    # of each hit in its interaction (Convai may send an interaction of thousands of turns).
    # The query asks for those positions in those interactions, a little more than that when
    # two interactions need different positions, and the rest is left out here: an OR of a
    # condition per hit took the ORM longer to build than the database to answer.
    wanted: dict[int, set[int]] = {}
    for interaction_id, position in Line.objects.filter(pk__in=hit_ids).values_list(
        "interaction_id", "position"
    ):
        wanted.setdefault(interaction_id, set()).update(
            range(position - CONTEXT_TURNS, position + CONTEXT_TURNS + 1)
        )
    exchanges: dict[int, Exchange] = {}
    by_pk = {}
    lines = list(
        Line.objects.filter(
            interaction_id__in=wanted,
            position__in=sorted({p for positions in wanted.values() for p in positions if p >= 0}),
        )
        # Only what a hit shows: its sessions and characters are read once each below, not
        # once a line, and their many dates are not parsed: whole rows of all three were a
        # large part of a search page's time (docs/performance.md, "Search").
        .select_related("interaction")
        .only(*SHOWN_OF_LINE)
        .order_by("position")
    )
    sessions = ChatSession.objects.only("session_id", "started_at").in_bulk(
        {line.session_id for line in lines}
    )
    for line in lines:
        if line.position not in wanted[line.interaction_id]:
            continue
        line.session = sessions[line.session_id]
        line.character = characters[line.character_id]
        by_pk[line.pk] = line
        exchange = exchanges.setdefault(line.interaction_id, Exchange(line.interaction, []))
        # An empty player side says nothing worth showing as context.
        if not line.is_blank:
            exchange.lines.append(line)
    hits = [by_pk[pk] for pk in hit_ids if pk in by_pk]
    # Pages follow storage order, which syncs keep close to conversation time (they store the
    # oldest transcripts first); transcripts fetched side by side can land a few places apart,
    # so a page is put in the order its lines were said.
    hits.sort(key=lambda hit: (hit.interaction.occurred_at, hit.position, hit.pk), reverse=True)
    groups: dict[int, SessionHits] = {}
    for hit in hits:
        exchange = exchanges[hit.interaction_id]
        group = groups.setdefault(hit.session_id, SessionHits(hit.session, hit.character))
        if not exchange.hit_ids:
            group.exchanges.append(exchange)
        exchange.hit_ids.add(hit.pk)
    more = len(ids) > limit
    total_lines = total_sessions = None
    if before is None:
        total_lines, total_sessions = (
            count_matches(terms, character_ids, COUNT_UP_TO) if more else (len(hits), len(groups))
        )
    return Results(
        terms,
        list(groups.values()),
        hits,
        more,
        min(hit_ids) if more and hit_ids else None,
        total_lines,
        total_sessions,
    )
