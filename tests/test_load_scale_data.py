"""load_scale_data: a large sandbox character, generated in a process of its own and stored, then
synced from a sandbox in its own process."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.convai.configured import client_for
from convai_dashboard.history.models import ConvaiCharacter, Interaction, Line, SyncRun, SyncStatus
from convai_dashboard.sandbox import DEMO_KEY, LARGE_CHARACTER_ID
from convai_dashboard.sandbox.demo.generated import scale_history
from convai_dashboard.sandbox.process import start_sandbox_process
from tests.factories import make_character, make_key, make_user

pytestmark = pytest.mark.django_db


def load(**options: object) -> str:
    out = StringIO()
    call_command("load_scale_data", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def stored(character: ConvaiCharacter) -> list[tuple]:
    return list(
        Line.objects.filter(session__character=character)
        .order_by("pk")
        .values_list("pk", "session__session_id", "interaction__occurred_at", "position", "text")
    )


def test_loads_the_large_character_and_a_second_run_stores_nothing_new(settings):
    user = make_user("scale")
    original_url = settings.CONVAI_API_URL

    output = load(sessions=300, username="scale")

    access = CharacterAccess.objects.for_user(user).get(character_id=LARGE_CHARACTER_ID)
    assert access.name == "Gate Attendant Unit 7"  # as the sandbox's Convai calls it
    assert access.api_key is not None
    assert access.api_key.label == "Sandbox (scale)"
    character = ConvaiCharacter.objects.get(character_id=LARGE_CHARACTER_ID)
    sessions = character.sessions.all()
    assert sessions.count() == 300
    assert not sessions.filter(transcript_fetched_at__isnull=True).exists()
    interactions = Interaction.objects.filter(session__character=character).count()
    lines = stored(character)
    assert interactions > 0 and lines
    assert f"300 sessions, {interactions:,} interactions, {len(lines):,} lines" in output
    assert "300 transcripts generated and stored" in output
    # The sync through the sandbox that follows finds nothing missing, and is the page's run.
    first = SyncRun.objects.get(character=character)
    assert first.status == SyncStatus.DONE
    assert (first.new_sessions, first.transcripts_fetched, first.failures) == (0, 0, 0)
    assert original_url == settings.CONVAI_API_URL  # the sandbox only while it ran

    encrypted_key = access.api_key.encrypted_key
    assert "0 transcripts generated and stored" in load(sessions=300, username="scale")

    second = SyncRun.objects.filter(character=character).order_by("-pk").first()
    assert second is not None and second.status == SyncStatus.DONE
    assert (second.new_sessions, second.transcripts_fetched) == (0, 0)
    assert character.sessions.count() == 300
    assert stored(character) == lines
    access.refresh_from_db()
    assert access.api_key is not None and access.api_key.encrypted_key == encrypted_key


def test_the_generated_history_is_what_the_client_fetches_from_the_sandbox():
    # What the command stores without the HTTP is what a sync through the sandbox would
    # store: the same records, as the client parses them from the sandbox's answers.
    with start_sandbox_process("--large-sessions", "40") as url, scale_history(40) as history:
        with client_for(DEMO_KEY, base_url=url) as client:
            listed = client.list_sessions(LARGE_CHARACTER_ID)
            ids = [s.session_id for s in listed]
            fetched = [client.get_transcript(LARGE_CHARACTER_ID, s) for s in ids]
        generated_list = history.session_list()
        generated = [
            t for chunk in history.transcripts([ids[:7], ids[7:30], ids[30:]]) for t in chunk
        ]
    assert len(listed) == 40 and sum(map(len, fetched)) > 40
    assert generated_list == listed
    assert generated == fetched


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match=r"seed_demo.*createsuperuser"):
        load(sessions=10, username="nobody")


def test_a_sync_already_under_way_is_an_error():
    user = make_user("scale")
    character = make_character(user, make_key(user), character_id=LARGE_CHARACTER_ID)
    SyncRun.objects.create(
        character=character,
        status=SyncStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    with pytest.raises(CommandError, match="already under way"):
        load(sessions=10, username="scale")
