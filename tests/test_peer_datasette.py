"""The row check of the peer benchmark (bench/peer_datasette.py): it reads the rows the
project's pages show, and stops the benchmark when Datasette's rows for the same page differ.
On a small store; Datasette's side is the JSON array its `.json?_shape=array` view gives, made
here from the store (the suite does not install Datasette)."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from convai_dashboard.history.models import ChatSession, Line
from tests.factories import make_character, make_interaction, make_session

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parent.parent / "bench"
DAY = datetime(2026, 10, 1, 12, tzinfo=UTC)


@pytest.fixture
def peer(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # The benchmarks import each other as scripts do, from bench/ on the path.
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("peer_datasette")


@pytest.fixture
def store(owner):
    """More sessions than a page, each with a line that says "gate"; one with an empty player
    turn, which the transcript leaves out."""
    character = make_character(owner, name="Gate keeper", sessions_refreshed_at=DAY)
    for n in range(55):
        session = make_session(
            character,
            session_id=f"s{n:02}",
            started_at=DAY - timedelta(hours=n),
            transcript_fetched_at=DAY,
            interaction_count=2,
        )
        make_interaction(session, ("User", "Open the gate"), ("Character", "Not today."))
        make_interaction(session, ("User", ""), ("Character", "Still here?"))
    return character


def datasette_json(rows: list[object], column: str) -> str:
    return json.dumps([{column: row} for row in rows])


def page(peer: ModuleType, kind: str, *, ordered: bool, reverse: bool = False):
    return peer.Page("the page", "", "", kind, ordered, reverse=reverse)


def test_it_passes_when_a_list_shows_the_sessions_datasette_does(peer, owner_client, store):
    html = owner_client.get(f"/characters/{store.character_id}/").content.decode()
    newest = list(
        ChatSession.objects.order_by("-started_at").values_list("session_id", flat=True)[:50]
    )
    listing = page(peer, "sessions", ordered=True)
    assert peer.check(listing, lambda: html, lambda: datasette_json(newest, "session_id")) == 50


@pytest.mark.parametrize(
    "change",
    [
        lambda rows: [*rows[:-1], "s54"],  # one session not on the page
        lambda rows: rows[:-1],  # one row fewer
        lambda rows: [rows[1], rows[0], *rows[2:]],  # the same rows in another order
    ],
    ids=["another-session", "a-row-fewer", "another-order"],
)
def test_it_fails_when_datasette_shows_other_sessions(peer, owner_client, store, change):
    html = owner_client.get(f"/characters/{store.character_id}/").content.decode()
    newest = list(
        ChatSession.objects.order_by("-started_at").values_list("session_id", flat=True)[:50]
    )
    listing = page(peer, "sessions", ordered=True)
    with pytest.raises(peer.RowMismatch, match="the page: the project shows 50 rows"):
        peer.check(listing, lambda: html, lambda: datasette_json(change(newest), "session_id"))


def test_the_last_page_is_datasettes_first_oldest_first(peer, owner_client, store):
    html = owner_client.get(f"/characters/{store.character_id}/?last=1").content.decode()
    oldest = list(
        ChatSession.objects.order_by("started_at").values_list("session_id", flat=True)[:50]
    )
    last = page(peer, "sessions", ordered=True, reverse=True)
    assert peer.check(last, lambda: html, lambda: datasette_json(oldest, "session_id")) == 50
    with pytest.raises(peer.RowMismatch):
        peer.check(
            page(peer, "sessions", ordered=True),
            lambda: html,
            lambda: datasette_json(oldest, "session_id"),
        )


def test_search_hits_are_checked_by_line_id(peer, owner_client, store):
    html = owner_client.get("/search/?q=gate").content.decode()
    newest = list(
        Line.objects.filter(text__contains="gate").order_by("-id").values_list("id", flat=True)[:50]
    )
    hits = page(peer, "lines", ordered=False)
    assert peer.check(hits, lambda: html, lambda: datasette_json(newest, "id")) == 50
    older = [*newest[:-1], newest[-1] - 2]
    with pytest.raises(peer.RowMismatch, match=f"only Datasette's: \\['{newest[-1] - 2}'\\]"):
        peer.check(hits, lambda: html, lambda: datasette_json(older, "id"))


def test_a_transcript_is_checked_without_the_empty_player_turns(peer, owner_client, store):
    session = ChatSession.objects.get(session_id="s07")
    html = owner_client.get(f"/characters/{store.character_id}/sessions/s07/").content.decode()
    lines = Line.objects.filter(session=session).order_by("id")
    shown = list(lines.exclude(speaker="User", text="").values_list("id", flat=True))
    transcript = page(peer, "lines", ordered=False)
    assert peer.check(transcript, lambda: html, lambda: datasette_json(shown, "id")) == 3
    every = list(lines.values_list("id", flat=True))
    with pytest.raises(peer.RowMismatch, match="the project shows 3 rows, Datasette 4"):
        peer.check(transcript, lambda: html, lambda: datasette_json(every, "id"))


def test_a_page_with_no_rows_on_either_side_stops_the_benchmark(peer, owner_client, store):
    """Both sides agree, but a page that should show rows has checked nothing."""
    html = owner_client.get("/search/?q=nowhere").content.decode()
    no_match = peer.Page("no match", "", "", "lines", False, empty=True)
    assert peer.check(no_match, lambda: html, lambda: "[]") == 0
    with pytest.raises(SystemExit, match="0 rows shown on both sides"):
        peer.check(page(peer, "lines", ordered=False), lambda: html, lambda: "[]")
