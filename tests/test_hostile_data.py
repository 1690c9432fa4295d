"""Hostile data from Convai: NUL characters, lone surrogates, over-long speakers, texts and
transcripts, IDs no URL can hold, times out of range. The sandbox's hostile character serves
each; a sync stores what it can (cut where it must, and marked cut), counts the rest as
failures that name the session, and every page then answers, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.convai.records import (
    LINES_MAX,
    NAME_MAX,
    SPEAKER_MAX,
    TEXT_MAX,
    Turn,
)
from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.history import store, sync
from convai_dashboard.history.models import ChatSession, Interaction, Line, SyncRun, SyncStatus
from convai_dashboard.history.search import search_lines
from convai_dashboard.review.models import FlagStatus
from convai_dashboard.sandbox import HOSTILE_CHARACTER_ID, HOSTILE_KEY
from convai_dashboard.sandbox import hostile as served
from tests.factories import make_character, make_flag, make_key

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
T0 = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
# Left out of the session list: bad IDs, times out of range, and one entry without an ID.
LEFT_OUT = len(served.BAD_SESSION_IDS) + len(served.OUT_OF_RANGE_DATES) + 1


@pytest.fixture
def hostile(owner, sandbox, settings):
    settings.SYNC_RETRIES = 0
    return make_character(
        owner, make_key(owner, secret=HOSTILE_KEY), character_id=HOSTILE_CHARACTER_ID, name="Hal"
    )


def run_sync(character) -> SyncRun:
    run, created = sync.claim(character)
    assert created
    return sync.run(run, concurrency=4)


@pytest.fixture
def synced(hostile) -> SyncRun:
    return run_sync(hostile)


def lines_of(session_id: str) -> list[Line]:
    return list(
        Line.objects.filter(session__session_id=session_id).order_by(
            "interaction__occurred_at", "interaction__ordinal", "position"
        )
    )


def test_a_sync_finishes_stores_what_it_can_and_counts_each_failure(hostile, synced):
    assert synced.status == SyncStatus.DONE, synced.stop_reason
    assert synced.failures == LEFT_OUT + len(served.UNREADABLE)
    assert synced.transcripts_fetched == len(served.STORED)
    stored = hostile.sessions.exclude(transcript_fetched_at=None)
    assert set(stored.values_list("session_id", flat=True)) == set(served.STORED)
    # What was left out of the list was never stored, not even in part.
    assert set(hostile.sessions.values_list("session_id", flat=True)) == {
        *served.STORED,
        *served.UNREADABLE,
    }
    assert not Interaction.objects.filter(session__session_id__in=served.UNREADABLE).exists()
    # The last failure names its session and says what was wrong.
    assert synced.last_failure.startswith("Session 0badda7a-")
    assert "timestamp" in synced.last_failure


def test_the_failures_are_named_where_the_sync_reports_them(hostile, caplog):
    run_sync(hostile)
    said = caplog.text
    assert "Left out session 'bad/slash-session': its ID cannot be used" in said
    assert "Left out session 'nul\\x00session'" in said
    assert "Left out session #17: it has no sessionID" in said
    assert "its start 9999-12-31 is not between 2000 and 3000" in said
    assert f"Session {served.BAD_TIMESTAMP}: Convai's answer was not in the expected shape" in said


def test_nuls_are_removed_and_lone_surrogates_replaced(synced):
    said = [(line.speaker, line.text) for line in lines_of(served.NUL_AND_SURROGATES)]
    assert said == [
        ("User", "Hello there"),
        ("Character", "Welcome.\ufffd \u202eesrever\u202c zero\u200bwidth"),
        ("Narrator", ""),
    ]
    # Looked for here, not in SQL: SQLite ends a pattern at its NUL, PostgreSQL refuses it.
    for speaker, text in Line.objects.values_list("speaker", "text").iterator():
        assert "\x00" not in speaker + text


def test_values_longer_than_the_store_keeps_are_cut_and_marked_cut(synced):
    [speaker] = lines_of(served.LONG_SPEAKER)
    assert len(speaker.speaker) == SPEAKER_MAX and speaker.truncated
    [huge] = [line for line in lines_of(served.HUGE_TEXT) if line.speaker == "Character"]
    assert len(huge.text) == TEXT_MAX and huge.truncated
    assert huge.text.startswith(served.HUGE_WORD)
    # More turns in one interaction, or more interactions at one time, than the store can
    # number: the transcript is cut where it reaches LINES_MAX lines, and marked there.
    turns = lines_of(served.MANY_TURNS)
    assert len(turns) == LINES_MAX and not any(line.truncated for line in turns)
    assert Interaction.objects.get(session__session_id=served.MANY_TURNS).truncated
    twins = Interaction.objects.filter(session__session_id=served.SAME_TIMESTAMP)
    assert twins.count() == LINES_MAX // 2  # two turns each
    assert list(twins.filter(truncated=True).values_list("ordinal", flat=True)) == [
        LINES_MAX // 2 - 1
    ]
    # What was kept whole is not marked.
    assert not any(line.truncated for line in lines_of(served.PLAIN))


def test_a_second_sync_stores_the_same_and_counts_the_same(hostile, synced):
    before = sorted(Line.objects.values_list("pk", "speaker", "text", "truncated"))
    ChatSession.objects.update(transcript_fetched_at=None)
    again = run_sync(hostile)
    assert (again.status, again.failures) == (SyncStatus.DONE, synced.failures)
    assert sorted(Line.objects.values_list("pk", "speaker", "text", "truncated")) == before


@pytest.fixture
def refusing_database() -> Iterator[None]:
    """A trigger that makes the database itself refuse any line about the lighthouse: what
    the store does with a value the client did not foresee."""
    if connection.vendor == "sqlite":
        make = [
            "CREATE TRIGGER test_refuse BEFORE INSERT ON history_line "
            "WHEN new.text LIKE '%lighthouse%' BEGIN SELECT RAISE(ABORT, 'refused by the test'); "
            "END"
        ]
        drop = ["DROP TRIGGER test_refuse"]
    else:
        make = [
            "CREATE FUNCTION test_refuse() RETURNS trigger AS $$ BEGIN "
            "IF NEW.text LIKE '%%lighthouse%%' THEN RAISE EXCEPTION 'refused by the test'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER test_refuse BEFORE INSERT ON history_line "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse()",
        ]
        drop = ["DROP TRIGGER test_refuse ON history_line", "DROP FUNCTION test_refuse()"]
    with connection.cursor() as cursor:
        for sql in make:
            cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        for sql in drop:
            cursor.execute(sql)


def test_a_transcript_the_database_refuses_costs_only_itself(hostile, refusing_database):
    run = run_sync(hostile)
    assert run.status == SyncStatus.DONE
    assert run.failures == LEFT_OUT + len(served.UNREADABLE) + 1
    assert run.transcripts_fetched == len(served.STORED) - 1
    refused = hostile.sessions.get(session_id=served.PLAIN)
    assert refused.transcript_fetched_at is None and not refused.lines.exists()
    assert not refused.interactions.exists(), "never half of a transcript"
    stored = hostile.sessions.exclude(transcript_fetched_at=None).count()
    assert stored == len(served.STORED) - 1


def said(text: str) -> list[InteractionRecord]:
    return [InteractionRecord(T0, (Turn("User", text),), False)]


def test_a_refused_transcript_in_a_batch_leaves_the_others_stored(hostile):
    good, bad = (
        ChatSession.objects.create(character=hostile, session_id=sid, started_at=T0)
        for sid in ("good", "bad")
    )
    # Past the client, as a value it did not foresee would be: no database encodes this.
    unstored = store.store_transcripts([(good, said("fine")), (bad, said("\ud800"))])
    assert [u.session.session_id for u in unstored] == ["bad"]
    assert unstored[0].reason.startswith("the database refused it")
    assert list(good.lines.values_list("text", flat=True)) == ["fine"]
    bad.refresh_from_db()
    assert bad.transcript_fetched_at is None and not bad.interactions.exists()
    with pytest.raises(store.NotStored, match="the database refused it"):
        store.store_transcript(bad, said("\ud800"))


def test_an_unexpected_error_ends_the_run_as_failed_with_the_reason(hostile, monkeypatch):
    # Progress after every store: a sync faster than one checkpoint interval would otherwise
    # report only at its end, after it has finished.
    monkeypatch.setattr(sync, "CHECKPOINT_SECONDS", 0)
    broken = []

    def breaks(progress: SyncRun) -> None:
        if progress.sessions_done >= 2 and not broken:
            broken.append(progress.sessions_done)
            raise RuntimeError("the progress display broke\nwith a second line")

    run, _ = sync.claim(hostile)
    run = sync.run(run, concurrency=1, on_progress=breaks)
    assert run.status == SyncStatus.FAILED
    assert run.stop_reason == (
        "Stopped by an unexpected error: RuntimeError: the progress display broke"
    )
    assert not SyncRun.objects.active().exists()
    assert sync.claim(hostile)[1], "nothing is left to block the next sync"


def test_importing_adds_the_characters_it_can_and_names_those_it_left_out(
    owner_client, owner, sandbox
):
    key = make_key(owner, secret=HOSTILE_KEY, label="Hostile")
    page = owner_client.post("/characters/import/", {"import-api_key": key.pk}, follow=True)
    assert page.status_code == 200
    [access] = CharacterAccess.objects.for_user(owner)
    assert access.character_id == HOSTILE_CHARACTER_ID
    assert len(access.name) == NAME_MAX and "\x00" not in access.name
    text = page.content.decode()
    assert "1 new character(s)" in text
    assert f"{len(served.BAD_CHARACTER_IDS)} left out, as the dashboard cannot store them" in text
    assert "character &#x27;bad/character&#x27;: its ID cannot be used" in text


def test_a_refresh_names_the_sessions_it_left_out(owner_client, hostile):
    page = owner_client.post(f"/characters/{HOSTILE_CHARACTER_ID}/refresh/", follow=True)
    text = page.content.decode()
    assert f"Convai lists {len(served.STORED) + len(served.UNREADABLE)} session(s)" in text
    assert f"{LEFT_OUT} left out, as the dashboard cannot store them" in text


def page_urls(character_id: str) -> list[str]:
    """Every page of a character's history a reader can open."""
    base = f"/characters/{character_id}/"
    sessions = [f"{base}sessions/{sid}/" for sid in (*served.STORED, *served.UNREADABLE)]
    lines = Line.objects.filter(session__character__character_id=character_id)
    line_urls = [
        f"{base}sessions/{line.session.session_id}/lines/{line.pk}/"
        for line in lines.select_related("session").order_by("pk")[:: max(1, lines.count() // 12)]
    ]
    return [
        base,
        f"{base}?sort=oldest",
        f"{base}?sort=longest",
        f"{base}?last=1",
        f"{base}?other_speaker=yes&trigger=yes",
        *sessions,
        *(f"{url}?q={served.HUGE_WORD}" for url in sessions),
        *(f"{url}export.json" for url in sessions),
        *(f"{url}export.md" for url in sessions),
        *(f"{url}flag/" for url in line_urls),
        *(f"{url}report.md" for url in line_urls),
        f"{base}sessions.csv",
        f"{base}flags/",
        f"{base}flags/export.csv",
        f"{base}flags/rewrites.jsonl",
        f"{base}tags/",
        "/flags/",
        "/flags/export.csv",
        "/flags/rewrites.jsonl",
        *(
            f"/search/?q={query}"
            for query in (served.PLAIN_WORD, served.HUGE_WORD, "w149999", "again", "turn", "hello")
        ),
        f"/search/?q={served.HUGE_WORD}&character={character_id}",
        "/",
    ]


def test_a_hit_among_thousands_of_turns_shows_only_the_turns_around_it(owner, synced):
    results = search_lines(owner, '"turn 1000"')
    [group] = results.groups
    [exchange] = group.exchanges
    assert [line.text for line in exchange.lines] == [f"turn {i}" for i in range(997, 1004)]


def test_every_page_answers_without_a_server_error(owner_client: Client, owner, synced):
    # Flags with rewrites on the hostile lines, so the backlog and its exports have them too.
    for line in Line.objects.filter(session__session_id__in=served.STORED).order_by("pk")[::50]:
        make_flag(line, owner, rewrite="A better line.", status=FlagStatus.REWRITTEN)
    answered = {}
    for url in page_urls(HOSTILE_CHARACTER_ID):
        for headers in ({}, HTMX):
            response = owner_client.get(url, **headers)
            if response.streaming:
                b"".join(response.streaming_content)
            answered[(url, bool(headers))] = response.status_code
    assert {key: code for key, code in answered.items() if code != 200} == {}


@pytest.mark.parametrize(
    ("session_id", "words"),
    [
        (served.HUGE_TEXT, "Cut: too long to keep whole"),
        (served.LONG_SPEAKER, "Cut: too long to keep whole"),
        (served.MANY_TURNS, "Cut: Convai sent more than the dashboard keeps"),
        (served.SAME_TIMESTAMP, "Cut: Convai sent more than the dashboard keeps"),
    ],
)
def test_the_transcript_and_its_export_show_what_was_cut(owner_client, synced, session_id, words):
    url = f"/characters/{HOSTILE_CHARACTER_ID}/sessions/{session_id}/"
    page = owner_client.get(url).content.decode()
    assert page.count(words) == 1
    assert owner_client.get(url + "export.json").json()["session"]["cut"]
    assert not owner_client.get(
        f"/characters/{HOSTILE_CHARACTER_ID}/sessions/{served.PLAIN}/export.json"
    ).json()["session"]["cut"]
