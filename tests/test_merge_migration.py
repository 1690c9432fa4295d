"""Migrations 0009 and 0010 of history merge users' copies of one Convai character into one
history, losing no session, line, "gone from Convai" mark or sync record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0003_character_session_count"), ("history", "0008_drop_covered_indexes")]
AFTER = [("accounts", "0005_characteraccess"), ("history", "0010_history_belongs_to_the_character")]
T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def fold(text: str) -> str:
    return text.lower()


def _copy(apps, user, character_id, **fields):
    return apps.get_model("accounts", "Character").objects.create(
        owner_id=user.pk, character_id=character_id, **fields
    )


def _session(apps, copy, session_id, lines, **fields):
    """A stored session with one interaction per (second, [(speaker, text), ...])."""
    Session = apps.get_model("history", "ChatSession")
    Interaction = apps.get_model("history", "Interaction")
    Line = apps.get_model("history", "Line")
    fields.setdefault("started_at", T0)
    fields.setdefault("transcript_fetched_at", T0 + timedelta(hours=2))
    session = Session.objects.create(character_id=copy.pk, session_id=session_id, **fields)
    for second, turns in lines:
        interaction = Interaction.objects.create(
            session_id=session.pk, occurred_at=T0 + timedelta(seconds=second)
        )
        for position, (speaker, text) in enumerate(turns):
            Line.objects.create(
                interaction_id=interaction.pk,
                session_id=session.pk,
                character_id=copy.pk,
                position=position,
                speaker=speaker,
                text=text,
                search_text=fold(text),
            )
    return session


@pytest.fixture
def two_users_copies(transactional_db):
    """The store as it was before: the owner and a colleague each with a copy of one
    character, overlapping in part, and a third character only the owner has."""
    apps = migrate(BEFORE)
    User = apps.get_model("auth", "User")
    owner = User.objects.create(username="owner")
    colleague = User.objects.create(username="colleague")
    SyncRun = apps.get_model("history", "SyncRun")

    mine = _copy(apps, owner, "astronaut", name="DK", sessions_refreshed_at=T0)
    theirs = _copy(
        apps,
        colleague,
        "astronaut",
        sessions_refreshed_at=T0 + timedelta(days=1),
        convai_error="Convai could not be reached",
        convai_error_at=T0 + timedelta(days=2),
    )
    other = _copy(apps, owner, "museum", name="Ada", sessions_refreshed_at=T0)
    # Both copies have "shared"; theirs has one more interaction, and a line mine lacks.
    _session(
        apps,
        mine,
        "shared",
        [(0, [("User", "hello"), ("Character", "hi")])],
        has_trigger=False,
    )
    _session(
        apps,
        theirs,
        "shared",
        [
            (0, [("User", "hello"), ("Character", "hi"), ("Narrator", "wind")]),
            (5, [("User", "bye")]),
        ],
        has_trigger=True,
        on_convai=False,  # their refresh found it gone from Convai
        in_memory=True,
    )
    _session(apps, mine, "only-mine", [(0, [("User", "mine")])])
    _session(apps, theirs, "only-theirs", [(0, [("User", "theirs")])], on_convai=False)
    _session(apps, theirs, "not-fetched", [], transcript_fetched_at=None)
    _session(apps, other, "museum-visit", [(0, [("User", "fossils?")])])
    SyncRun.objects.create(character_id=mine.pk, status="done", transcripts_fetched=2)
    SyncRun.objects.create(character_id=theirs.pk, status="done", transcripts_fetched=3)
    SyncRun.objects.create(character_id=mine.pk, status="running")
    SyncRun.objects.create(character_id=theirs.pk, status="queued")
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_the_merge_keeps_every_session_line_mark_and_sync_record(two_users_copies):
    apps = migrate(AFTER)
    History = apps.get_model("history", "ConvaiCharacter")
    Session = apps.get_model("history", "ChatSession")
    Line = apps.get_model("history", "Line")
    SyncRun = apps.get_model("history", "SyncRun")
    Access = apps.get_model("accounts", "CharacterAccess")

    astronaut = History.objects.get(character_id="astronaut")
    assert History.objects.count() == 2
    assert astronaut.name == "DK"
    assert astronaut.sessions_refreshed_at == T0 + timedelta(days=1)
    assert astronaut.convai_error_at == T0 + timedelta(days=2)
    assert astronaut.session_count == 4

    sessions = {s.session_id: s for s in Session.objects.filter(character_id=astronaut.pk)}
    assert set(sessions) == {"shared", "only-mine", "only-theirs", "not-fetched"}
    shared = sessions["shared"]
    assert (shared.on_convai, shared.in_memory, shared.has_trigger) == (False, True, True)
    assert shared.interaction_count == 2
    assert shared.last_interaction_at == T0 + timedelta(seconds=5)
    assert not sessions["only-theirs"].on_convai
    assert sessions["not-fetched"].transcript_fetched_at is None

    lines = sorted(
        Line.objects.filter(character_id=astronaut.pk).values_list(
            "session__session_id", "interaction__occurred_at", "position", "speaker", "text"
        )
    )
    at = T0 + timedelta(seconds=0)
    assert lines == [
        ("only-mine", at, 0, "User", "mine"),
        ("only-theirs", at, 0, "User", "theirs"),
        ("shared", at, 0, "User", "hello"),
        ("shared", at, 1, "Character", "hi"),
        ("shared", at, 2, "Narrator", "wind"),
        ("shared", T0 + timedelta(seconds=5), 0, "User", "bye"),
    ]
    assert all(line.session.character_id == line.character_id for line in Line.objects.all())
    museum = History.objects.get(character_id="museum")
    assert Session.objects.get(session_id="museum-visit").character_id == museum.pk

    runs = SyncRun.objects.filter(character_id=astronaut.pk)
    assert runs.count() == 4
    assert sorted(runs.values_list("status", flat=True)) == [
        "done",
        "done",
        "interrupted",
        "queued",
    ]
    # Both users still hold the character, each through their own access.
    assert sorted(Access.objects.values_list("owner__username", "character_id")) == [
        ("colleague", "astronaut"),
        ("owner", "astronaut"),
        ("owner", "museum"),
    ]


def test_search_still_finds_merged_lines(two_users_copies):
    migrate(AFTER)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # The triggers were made again after the table was rebuilt, and the index is whole.
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert {row[0] for row in cursor.fetchall()} >= {
                "history_line_fts_insert",
                "history_line_fts_delete",
                "history_line_fts_update",
            }
            cursor.execute(
                "INSERT INTO history_line_fts(history_line_fts) VALUES ('integrity-check')"
            )
            cursor.execute(
                "SELECT count(*) FROM history_line_fts WHERE history_line_fts MATCH 'wind'"
            )
            assert cursor.fetchone()[0] == 1
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM history_line "
                "WHERE search_vector @@ to_tsquery('simple', 'wind')"
            )
            assert cursor.fetchone()[0] == 1
