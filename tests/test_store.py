"""The local store: what fetching writes, and that writing again changes nothing it should not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.convai.records import SessionSummary, Turn
from convai_dashboard.history import fetch, store
from convai_dashboard.history.models import ChatSession, Interaction, Line
from convai_dashboard.sandbox import ASTRONAUT_ID
from tests.factories import make_character, make_key

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def summary(session_id: str, minutes: int = 0, in_memory: bool = False) -> SessionSummary:
    return SessionSummary(session_id, T0 + timedelta(minutes=minutes), in_memory)


def record(seconds: float, *turns: tuple[str, str], trigger: bool = False) -> InteractionRecord:
    return InteractionRecord(
        T0 + timedelta(seconds=seconds), tuple(Turn(s, m) for s, m in turns), trigger
    )


def test_it_stores_the_session_list_once_however_often_it_is_stored(owner):
    character = make_character(owner)
    listing = [summary("a", 2), summary("b", 1), summary("c", 0)]
    first = store.store_session_list(character, listing)
    ids = dict(character.sessions.values_list("session_id", "pk"))
    second = store.store_session_list(character, listing)
    assert (first.new, second.new) == (3, 0)
    assert dict(character.sessions.values_list("session_id", "pk")) == ids


def test_it_updates_the_memory_flag_and_keeps_sessions_gone_from_convai(owner):
    character = make_character(owner)
    store.store_session_list(character, [summary("a"), summary("b")])
    result = store.store_session_list(character, [summary("a", in_memory=True)])
    a, b = character.sessions.order_by("session_id")
    assert a.in_memory and a.on_convai
    assert not b.on_convai, "a session no longer listed is kept and marked"
    assert result.gone == 1
    store.store_session_list(character, [summary("a"), summary("b")])
    assert character.sessions.get(session_id="b").on_convai


def test_it_stores_a_transcript_in_order_with_its_lines(owner):
    session = ChatSession.objects.create(
        character=make_character(owner), session_id="s", started_at=T0
    )
    store.store_transcript(
        session,
        [
            record(0, ("User", ""), ("Character", "Hello? Can you hear me?")),
            record(5, ("User", "[An Event has occurred]: door opens"), ("Character", "Oh!")),
            record(9, ("Narrator", "The lights flicker."), trigger=True),
        ],
    )
    session.refresh_from_db()
    assert session.interaction_count == 3
    assert session.transcript_fetched_at is not None
    lines = Line.objects.filter(session=session).order_by(
        "interaction__occurred_at", "interaction__ordinal", "position"
    )
    assert [(line.speaker, line.text) for line in lines] == [
        ("User", ""),
        ("Character", "Hello? Can you hear me?"),
        ("User", "[An Event has occurred]: door opens"),
        ("Character", "Oh!"),
        ("Narrator", "The lights flicker."),
    ]


def test_refetching_keeps_every_identity_and_adds_what_is_new(owner):
    session = ChatSession.objects.create(
        character=make_character(owner), session_id="s", started_at=T0
    )
    early = [record(0, ("User", "hi"), ("Character", "hello")), record(3, ("User", "bye"))]
    store.store_transcript(session, early)
    line_ids = list(Line.objects.order_by("pk").values_list("pk", flat=True))
    store.store_transcript(session, [*early, record(8, ("Character", "wait, come back"))])
    assert list(Line.objects.order_by("pk").values_list("pk", flat=True))[:3] == line_ids
    assert Interaction.objects.filter(session=session).count() == 3
    assert Line.objects.filter(session=session).count() == 4


def test_interactions_sharing_a_timestamp_are_told_apart(owner):
    session = ChatSession.objects.create(
        character=make_character(owner), session_id="s", started_at=T0
    )
    twins = [record(1, ("User", "one")), record(1, ("User", "two"))]
    store.store_transcript(session, twins)
    store.store_transcript(session, twins)
    texts = list(Line.objects.order_by("interaction__ordinal").values_list("text", flat=True))
    assert texts == ["one", "two"]


def test_refreshing_from_the_sandbox_fills_and_refills_the_same_rows(owner, sandbox):
    character = make_character(owner, make_key(owner), character_id=ASTRONAUT_ID)
    assert fetch.refresh_sessions(character).new == 79
    session = character.sessions.get(session_id="9fc15ee9-5f69-4f4b-916b-9c71a9a8786f")
    fetch.fetch_transcript(session)
    lines = list(Line.objects.order_by("pk").values_list("pk", "text"))
    assert fetch.refresh_sessions(character).new == 0
    fetch.fetch_transcript(session)
    assert list(Line.objects.order_by("pk").values_list("pk", "text")) == lines
    assert ChatSession.objects.count() == 79


def test_transcripts_stored_together_each_keep_their_own_lines(owner):
    character = make_character(owner)
    one, two = (
        ChatSession.objects.create(character=character, session_id=sid, started_at=T0)
        for sid in ("one", "two")
    )
    store.store_transcripts(
        [
            (one, [record(0, ("User", "a"), ("Character", "b"))]),
            (two, [record(0, ("User", "c")), record(1, ("Character", "d"))]),
        ]
    )
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.interaction_count, two.interaction_count) == (1, 2)
    assert two.last_interaction_at == T0 + timedelta(seconds=1)
    assert list(one.lines.order_by("position").values_list("text", flat=True)) == ["a", "b"]
    assert sorted(two.lines.values_list("text", flat=True)) == ["c", "d"]
