"""The keyset's row-value condition, `(field, session_id) < (v, s)`, against the condition it
replaced, `field < v OR (field = v AND session_id < s)`, kept here as the reference: the same
rows at every sort of the list and of the backlog, forward and back, and the same chunks for the
exports, on stores whose sort values tie again and again."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q, QuerySet
from django.test.utils import CaptureQueriesContext

from convai_dashboard.history import keyset, listing
from convai_dashboard.history.models import ChatSession, ConvaiCharacter, ReviewStatus
from convai_dashboard.review.models import Flag, FlagCategory, FlagStatus
from convai_dashboard.review.queries import BacklogSort
from tests.factories import make_character, make_flag, make_interaction, make_session

SESSIONS = 160
DAY = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
# Few start times for many sessions, so most rows tie on started_at with others. Whole seconds
# and fractions both: SQLite stores a datetime as text and leaves out a zero fraction.
STARTS = [
    DAY,
    DAY + timedelta(microseconds=1),
    DAY + timedelta(milliseconds=500),
    DAY + timedelta(days=1),
    DAY + timedelta(days=1, seconds=1),
    DAY + timedelta(days=2, microseconds=999_999),
]
COUNTS = [0, 0, 1, 2, 2, 3, 7, 12]
# Session IDs of different lengths and cases, whose order as text is not their order of making.
PREFIXES = ["a", "B", "sess", "Sess-9", "z", "0"]

FILTERS: list[dict[str, Any]] = [
    {},
    {"memory": "yes", "trigger": "yes"},
    {"status": ReviewStatus.UNREVIEWED},
    {"status": ReviewStatus.APPROVED, "memory": "no"},
    {"min_interactions": 2, "max_interactions": 7},
    {"start_from": date(2026, 10, 2), "start_to": date(2026, 10, 3)},
    {"other_speaker": "no", "stored": "yes"},
]


def old_beyond(order: Sequence[str], key: Sequence[Any]) -> Q:
    """The condition the keyset built before the row value, field by field."""
    fields = [name.lstrip("-") for name in order]
    condition = Q()
    for i, name in enumerate(order):
        op = "lt" if name.startswith("-") else "gt"
        condition |= Q(
            **dict(zip(fields[:i], key[:i], strict=True)), **{f"{fields[i]}__{op}": key[i]}
        )
    return condition


def _sessions_of(character: ConvaiCharacter, chance: random.Random) -> list[ChatSession]:
    rows = []
    for n in range(SESSIONS):
        stored = chance.random() < 0.8
        rows.append(
            ChatSession(
                character=character,
                session_id=f"{chance.choice(PREFIXES)}{n}",
                started_at=chance.choice(STARTS),
                in_memory=chance.random() < 0.5,
                interaction_count=chance.choice(COUNTS) if stored else 0,
                transcript_fetched_at=DAY if stored else None,
                has_trigger=chance.random() < 0.5 if stored else None,
                has_other_speaker=chance.random() < 0.3 if stored else None,
                review_status=chance.choice(ReviewStatus.values),
            )
        )
    return ChatSession.objects.bulk_create(rows)


@pytest.fixture
def tied(owner) -> ConvaiCharacter:
    """A character whose sessions tie on every sort value, beside another with the same
    values, whose sessions no list of the first may show."""
    character = make_character(owner)
    other = make_character(owner, character_id="other-character")
    _sessions_of(character, random.Random(12))
    _sessions_of(other, random.Random(12))
    assert ChatSession.objects.filter(character=character).count() == SESSIONS
    return character


def _keys(sessions: QuerySet[ChatSession], field: str) -> list[tuple[Any, str]]:
    """Every session's own cursor, and cursors between and beyond them."""
    keys = [(getattr(session, field), session.session_id) for session in sessions]
    values = sorted({value for value, _ in keys})
    return [*keys, *((value, "") for value in values), *((value, "~") for value in values)]


def test_the_store_ties_on_every_sort_value(tied):
    sessions = tied.sessions.all()
    assert sessions.values("started_at").distinct().count() == len(STARTS)
    assert sessions.values("interaction_count").distinct().count() == len(set(COUNTS))


@pytest.mark.parametrize("sort", listing.Sort)
@pytest.mark.parametrize("back", [False, True], ids=["forward", "back"])
def test_the_row_value_passes_exactly_the_rows_the_old_condition_did(tied, sort, back):
    order = keyset.backward(sort.order) if back else sort.order
    sessions = tied.sessions.all()
    for key in _keys(sessions, sort.field):
        new = sessions.filter(keyset.beyond(order, key)).order_by(*order)
        old = sessions.filter(old_beyond(order, key)).order_by(*order)
        assert list(new.values_list("pk", flat=True)) == list(old.values_list("pk", flat=True))


def _walk(
    sessions: QuerySet[ChatSession], sort: listing.Sort, *, back: bool
) -> list[listing.SessionPage]:
    """Every page of the list, through the cursors of its links as a URL carries them."""
    page = listing.page_of(sessions, sort, last=back, size=7)
    pages = [page]
    while (link := page.newer if back else page.older) is not None:
        cursor = listing.decode_cursor(link, sort)
        page = (
            listing.page_of(sessions, sort, before=cursor, size=7)
            if back
            else listing.page_of(sessions, sort, after=cursor, size=7)
        )
        pages.append(page)
        assert len(pages) <= SESSIONS, "the walk does not end"
    return pages


@pytest.mark.parametrize("sort", listing.Sort)
@pytest.mark.parametrize("filters", FILTERS, ids=lambda filters: "&".join(filters) or "all")
def test_pages_walk_every_list_as_the_old_condition_did_both_ways(tied, sort, filters, monkeypatch):
    sessions = tied.sessions.matching(filters)
    everything = list(sessions.order_by(*sort.order))
    assert everything, "a filter of this table lets no session through"
    walks = {back: _walk(sessions, sort, back=back) for back in (False, True)}
    monkeypatch.setattr(keyset, "beyond", old_beyond)
    for back, pages in walks.items():
        assert pages == _walk(sessions, sort, back=back)
        in_order = [session for page in pages[:: -1 if back else 1] for session in page.sessions]
        assert in_order == everything


@pytest.mark.parametrize("sort", listing.Sort)
def test_neighbours_and_next_unreviewed_are_those_of_the_old_condition(tied, sort, monkeypatch):
    # The list filtered as a reviewer reads it, and sessions outside it opened from a link.
    sessions = tied.sessions.matching({"memory": "yes"})
    unreviewed = sessions.filter(review_status=ReviewStatus.UNREVIEWED)
    every = list(tied.sessions.all())
    new = [
        (
            listing.neighbours(sessions, sort, session),
            listing.first_after(unreviewed, sort, session),
        )
        for session in every
    ]
    monkeypatch.setattr(keyset, "beyond", old_beyond)
    old = [
        (
            listing.neighbours(sessions, sort, session),
            listing.first_after(unreviewed, sort, session),
        )
        for session in every
    ]
    assert new == old
    assert any(before and after for (before, after), _ in new)


@pytest.mark.parametrize("sort", listing.Sort)
def test_a_page_asks_with_a_row_value(tied, sort):
    field, descending = sort.field, sort.descending
    first = listing.page_of(tied.sessions.all(), sort, size=7)
    assert first.older is not None
    with CaptureQueriesContext(connection) as queries:
        listing.page_of(
            tied.sessions.all(), sort, after=listing.decode_cursor(first.older, sort), size=7
        )
    table = '"history_chatsession"'
    beyond = "<=" if descending else ">="
    # Up to the cursor's row, less that row: PostgreSQL estimates `<` by its first column.
    assert f'({table}."{field}", {table}."session_id") {beyond} (' in queries[0]["sql"]
    assert f'NOT ({table}."session_id" = ' in queries[0]["sql"]


def _opened(href: str | None) -> str | None:
    """The session a move's link opens."""
    return None if href is None else href.split("/sessions/")[1].split("/")[0]


@pytest.mark.parametrize("sort", listing.Sort)
def test_a_move_off_the_page_shows_the_list_from_the_session_it_opens(
    tied, sort, owner_client, settings
):
    # Sessions opened from a link, with the list's first page of 7 beside them, filtered by
    # memory, which some of them do not pass themselves: "next" and "next unreviewed" lead off
    # the page, and the page they move the list to starts with the session they open.
    settings.SESSIONS_PER_PAGE = 7
    checked = 0
    for session in tied.sessions.order_by("pk")[:40]:
        response = owner_client.get(
            f"/characters/{tied.character_id}/sessions/{session.session_id}/",
            {"memory": "yes", "sort": sort},
        )
        for name in ("next", "next_unreviewed"):
            move = response.context[name]
            if move is None or move["on_page"]:
                continue
            shown = owner_client.get(move["href"]).context["page"].sessions
            assert shown[0].session_id == _opened(move["href"]), (session.session_id, name)
            checked += 1
    assert checked > 20  # moves off the page were met


@pytest.mark.parametrize("sort", listing.Sort)
def test_moves_read_from_the_page_shown_are_those_the_store_finds(
    tied, sort, owner_client, settings
):
    # Pages of 7: every row of every page is opened with the list's query string, as a click
    # in the list opens it, so rows in a page and at both its edges are all met.
    settings.SESSIONS_PER_PAGE = 7
    sessions = tied.sessions.matching({"memory": "yes"})
    unreviewed = sessions.filter(review_status=ReviewStatus.UNREVIEWED)
    for page in _walk(sessions, sort, back=False):
        # The page's position as its "Next" link gives it: after the row before its first.
        row_before = listing.neighbours(sessions, sort, page.sessions[0])[0]
        position = {"after": listing.encode_cursor(row_before, sort)} if row_before else {}
        for session in page.sessions:
            response = owner_client.get(
                f"/characters/{tied.character_id}/sessions/{session.session_id}/",
                {"memory": "yes", "sort": sort, **position},
                HTTP_HX_REQUEST="true",
                HTTP_HX_TARGET="transcript",
            )
            assert response.status_code == 200
            assert [row.pk for row in response.context["page"].sessions] == [
                row.pk for row in page.sessions
            ]
            before, after = listing.neighbours(sessions, sort, session)
            next_unreviewed = listing.first_after(unreviewed.exclude(pk=session.pk), sort, session)
            moves = [response.context[name] for name in ("previous", "next", "next_unreviewed")]
            assert [_opened(move and move["href"]) for move in moves] == [
                found and found.session_id for found in (before, after, next_unreviewed)
            ]


# --- the backlog's orders, some of whose fields go both ways, and the exports' chunks --------

FLAGS = 90
FLAGGED = [DAY, DAY + timedelta(microseconds=1), DAY + timedelta(hours=1)]


@pytest.fixture
def flagged(owner) -> list[Flag]:
    """Flags that tie on category, status, and both times, several to a line."""
    character = make_character(owner)
    chance = random.Random(5)
    interaction = make_interaction(
        make_session(character), *(("Character", f"Line {n}") for n in range(6))
    )
    lines = list(interaction.lines.all())
    return [
        make_flag(
            chance.choice(lines),
            owner,
            category=chance.choice(FlagCategory.values[:3]),
            status=chance.choice(FlagStatus.values[:2]),
            created_at=chance.choice(FLAGGED),
            updated_at=chance.choice(FLAGGED),
        )
        for _ in range(FLAGS)
    ]


def _flag_keys(flags: list[Flag], order: Sequence[str]) -> list[list[Any]]:
    """Every flag's own key, and keys just before the first and past the last of each tie."""
    keys = [[getattr(flag, name.lstrip("-")) for name in order] for flag in flags]
    return [*keys, *([*key[:-1], 0] for key in keys), *([*key[:-1], 10**9] for key in keys)]


@pytest.mark.parametrize("sort", BacklogSort)
@pytest.mark.parametrize("back", [False, True], ids=["forward", "back"])
def test_the_backlogs_orders_pass_exactly_the_rows_the_old_condition_did(flagged, sort, back):
    order = keyset.backward(sort.order) if back else list(sort.order)
    flags = Flag.objects.all()
    for key in _flag_keys(flagged, order):
        new = flags.filter(keyset.beyond(order, key)).order_by(*order)
        old = flags.filter(old_beyond(order, key)).order_by(*order)
        assert list(new.values_list("pk", flat=True)) == list(old.values_list("pk", flat=True))


@pytest.mark.parametrize("sort", BacklogSort)
def test_chunks_of_flags_hold_every_flag_once_in_the_backlogs_order(flagged, sort):
    flags = Flag.objects.all()
    chunks = [chunk for _, chunk in keyset.chunks(flags, sort.order, getattr, 7)]
    assert [len(chunk) for chunk in chunks[:-1]] == [7] * (len(chunks) - 1)
    assert [flag for chunk in chunks for flag in chunk] == list(flags.order_by(*sort.order))


@pytest.mark.parametrize("sort", listing.Sort)
def test_chunks_of_sessions_read_as_values_hold_every_session_once(tied, sort):
    rows = tied.sessions.values("pk", "session_id", "started_at", "interaction_count")
    chunks = keyset.chunks(rows, sort.order, lambda row, name: row[name], 9)
    walked = [row["pk"] for _, chunk in chunks for row in chunk]
    assert walked == list(tied.sessions.order_by(*sort.order).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("sort", "asked"),
    [
        (BacklogSort.NEWEST, '("review_flag"."created_at", "review_flag"."id") <= ('),
        (BacklogSort.OLDEST, '("review_flag"."created_at", "review_flag"."id") >= ('),
        (BacklogSort.UPDATED, '("review_flag"."updated_at", "review_flag"."id") <= ('),
        # The category as a bound an index can seek to, then the newest first within it.
        (BacklogSort.CATEGORY, '"review_flag"."category" >= '),
        (BacklogSort.CATEGORY, '("review_flag"."created_at", "review_flag"."id") <= ('),
    ],
)
def test_a_chunk_of_flags_asks_with_a_row_value(flagged, sort, asked):
    with CaptureQueriesContext(connection) as queries:
        list(keyset.chunks(Flag.objects.all(), sort.order, getattr, 50))
    assert asked in queries[1]["sql"]
