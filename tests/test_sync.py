"""Syncing whole histories: complete, resumable, polite, cancellable, one at a time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.convai import ConvaiClient
from convai_dashboard.history import sync
from convai_dashboard.history.models import ChatSession, Interaction, Line, SyncRun, SyncStatus
from convai_dashboard.history.search import search_lines
from convai_dashboard.sandbox import ASTRONAUT_ID, DEMO_KEY
from tests.factories import make_access, make_character, make_key

pytestmark = pytest.mark.django_db

DETAILS = {"/character/chatHistory/details"}


class Killed(BaseException):
    """Stands in for kill -9: nothing of the sync's own error handling runs."""


@pytest.fixture(autouse=True)
def progress_after_every_transcript(monkeypatch):
    # The sandbox answers so fast that a whole sync fits between two checkpoints; checkpoint
    # after every transcript so interruptions land mid-sync.
    monkeypatch.setattr(sync, "CHECKPOINT_SECONDS", 0)


@pytest.fixture
def astronaut(owner, sandbox, settings):
    settings.SYNC_RETRIES = 3
    settings.SYNC_MAX_RETRY_AFTER = 5
    return make_character(owner, make_key(owner), character_id=ASTRONAUT_ID, name="DK")


def stored_rows(character) -> list[tuple]:
    """Everything a sync stores, without the ids and clocks that differ between stores."""
    sessions = sorted(
        character.sessions.values_list("session_id", "started_at", "in_memory", "interaction_count")
    )
    lines = sorted(
        Line.objects.filter(session__character=character).values_list(
            "session__session_id",
            "interaction__occurred_at",
            "interaction__ordinal",
            "interaction__is_trigger_input",
            "position",
            "speaker",
            "text",
        )
    )
    return [*sessions, *lines]


def run_sync(character, **kwargs) -> SyncRun:
    run, created = sync.claim(character)
    assert created
    return sync.run(run, concurrency=4, **kwargs)


def test_a_sync_stores_every_transcript_and_says_so(astronaut):
    run = run_sync(astronaut)
    assert run.status == SyncStatus.DONE
    assert (run.new_sessions, run.sessions_total, run.transcripts_fetched) == (79, 79, 79)
    assert run.failures == 0 and run.finished_at is not None
    assert Interaction.objects.filter(session__character=astronaut).count() == 483


def test_after_a_whole_sync_search_lists_the_newest_conversations_first(astronaut, owner):
    # Search orders lines by id; one fetch at a time makes storage order exact.
    run, _ = sync.claim(astronaut)
    sync.run(run, concurrency=1)
    hits = search_lines(owner, "the").lines
    starts = [hit.session.started_at for hit in hits]
    assert len(set(starts)) > 1
    assert starts == sorted(starts, reverse=True)


def test_a_second_sync_fetches_only_what_may_have_changed(astronaut, sandbox):
    run_sync(astronaut)
    sandbox.reset()
    run = run_sync(astronaut)
    assert (run.new_sessions, run.transcripts_fetched) == (0, 0)
    assert [r.path for r in sandbox.requests] == ["/character/chatHistory/list"]


def test_a_transcript_fetched_while_the_player_was_talking_is_fetched_again(astronaut, sandbox):
    run_sync(astronaut)
    session = astronaut.sessions.first()
    ChatSession.objects.filter(pk=session.pk).update(
        transcript_fetched_at=session.last_interaction_at + timedelta(minutes=1)
    )
    assert run_sync(astronaut).transcripts_fetched == 1


def test_a_killed_sync_run_again_stores_exactly_what_one_whole_run_does(astronaut, owner):
    run_sync(astronaut)
    whole = stored_rows(astronaut)
    ChatSession.objects.all().delete()
    SyncRun.objects.all().delete()

    def kill_after_some(progress: SyncRun) -> None:
        if progress.sessions_done >= 20:
            raise Killed

    with pytest.raises(Killed):
        run_sync(astronaut, on_progress=kill_after_some)
    killed = SyncRun.objects.get(character=astronaut)
    assert killed.status == SyncStatus.RUNNING, "nothing marked it finished"
    assert 20 <= astronaut.sessions.exclude(transcript_fetched_at=None).count() < 79
    # Its worker is gone: once the heartbeat is stale, a new run may start, and resumes.
    SyncRun.objects.filter(pk=killed.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    resumed = run_sync(astronaut)
    assert resumed.status == SyncStatus.DONE
    assert resumed.transcripts_fetched < 79
    assert SyncRun.objects.get(pk=killed.pk).status == SyncStatus.INTERRUPTED
    assert stored_rows(astronaut) == whole


def test_two_syncs_of_one_character_never_run_at_once(astronaut):
    first, created = sync.claim(astronaut)
    again, created_again = sync.claim(astronaut)
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(character=astronaut, status=SyncStatus.RUNNING)


def test_rate_limits_are_waited_out(astronaut, sandbox):
    sandbox.fault, sandbox.fault_count, sandbox.fault_paths = "ratelimit", 3, DETAILS
    run = run_sync(astronaut)
    assert (run.status, run.transcripts_fetched, run.failures) == (SyncStatus.DONE, 79, 0)
    limited = [r for r in sandbox.requests if r.path in DETAILS]
    assert len(limited) == 79 + 3


def test_server_errors_are_retried(astronaut, sandbox):
    sandbox.fault, sandbox.fault_count, sandbox.fault_paths = "error_503_html", 5, DETAILS
    run = run_sync(astronaut)
    assert (run.status, run.transcripts_fetched, run.failures) == (SyncStatus.DONE, 79, 0)


def test_a_transcript_that_keeps_failing_is_counted_and_the_rest_stored(astronaut, sandbox):
    sandbox.fault, sandbox.fault_count, sandbox.fault_paths = "garbage", 1, DETAILS
    run = run_sync(astronaut)
    assert (run.status, run.transcripts_fetched, run.failures) == (SyncStatus.DONE, 78, 1)
    assert "not JSON" in run.last_failure


def test_convai_going_down_stops_the_sync_and_keeps_what_it_stored(astronaut, sandbox, settings):
    settings.SYNC_RETRIES = 0
    sandbox.fault, sandbox.fault_paths = "error_500_html", DETAILS
    run = run_sync(astronaut)
    assert run.status == SyncStatus.FAILED
    assert "could not be reached for 8 transcripts in a row" in run.stop_reason
    assert astronaut.sessions.count() == 79


def test_a_refused_key_stops_the_sync_with_convais_words(astronaut, owner, sandbox):
    sandbox.fault, sandbox.fault_paths = "invalid_key", DETAILS
    run = run_sync(astronaut)
    assert run.status == SyncStatus.FAILED
    assert run.stop_reason.startswith("Stopped: No holder of this character has a key Convai")
    assert "Invalid API key provided." in run.stop_reason
    # The holder whose key was refused no longer holds the character, and is told why.
    access = CharacterAccess.objects.for_user(owner).get()
    assert not access.is_active and "Invalid API key provided." in access.suspension_reason


def test_a_sync_goes_on_with_another_holders_key(astronaut, owner, colleague, sandbox):
    # The owner's key stops working; a colleague holds the same character under a good key.
    owner_key = CharacterAccess.objects.for_user(owner).get().api_key
    owner_key.set_secret("revoked-key-0000")
    owner_key.save()
    make_access(colleague, make_key(colleague), character_id=ASTRONAUT_ID)
    run, _ = sync.claim(astronaut, owner)
    run = sync.run(run)
    assert (run.status, run.transcripts_fetched) == (SyncStatus.DONE, 79)
    assert not CharacterAccess.objects.for_user(owner).get().is_active
    assert CharacterAccess.objects.for_user(colleague).get().is_active
    keys = {r.headers.get("CONVAI-API-KEY") for r in sandbox.requests}
    assert keys == {"revoked-key-0000", DEMO_KEY}


def test_a_holders_key_refused_midway_hands_over_to_the_next(astronaut, owner, colleague, sandbox):
    make_access(colleague, make_key(colleague), character_id=ASTRONAUT_ID)
    sandbox.fault, sandbox.fault_count, sandbox.fault_paths = "invalid_key", 1, DETAILS
    run, _ = sync.claim(astronaut, owner)
    run = sync.run(run)
    assert (run.status, astronaut.sessions.exclude(transcript_fetched_at=None).count()) == (
        SyncStatus.DONE,
        79,
    )
    assert not CharacterAccess.objects.for_user(owner).get().is_active
    assert CharacterAccess.objects.for_user(colleague).get().is_active


def test_a_sync_can_be_cancelled_and_keeps_what_it_stored(astronaut, sandbox):
    sandbox.latency_ms = 20

    def cancel_midway(progress: SyncRun) -> None:
        if progress.sessions_done >= 8:
            sync.request_cancel(progress)

    run = run_sync(astronaut, on_progress=cancel_midway)
    assert run.status == SyncStatus.CANCELLED
    assert 8 <= run.transcripts_fetched < 79
    assert astronaut.sessions.exclude(transcript_fetched_at=None).count() == run.transcripts_fetched


def test_requests_go_on_while_the_sync_stores(astronaut, sandbox, monkeypatch):
    store_transcripts = sync.store.store_transcripts
    sent_while_storing = []

    def slow_store(fetched):
        if not sent_while_storing:  # the first store only
            before = len(sandbox.requests)
            time.sleep(0.3)
            sent_while_storing.append(len(sandbox.requests) - before)
        return store_transcripts(fetched)

    monkeypatch.setattr(sync.store, "store_transcripts", slow_store)
    # Each transcript stored as it arrives, so the first store holds one.
    monkeypatch.setattr(sync, "GATHER_SECONDS", 0)
    run = run_sync(astronaut)
    assert (run.status, run.transcripts_fetched) == (SyncStatus.DONE, 79)
    # More than the 4 requests that were in flight when it began storing: workers went on
    # asking for the next transcript, up to the backlog's bound.
    assert 4 < sent_while_storing[0] <= sync.BACKLOG_PER_REQUEST * 4


def test_an_unexpected_error_while_fetching_ends_the_run_and_says_why(astronaut, monkeypatch):
    get_transcript = ConvaiClient.get_transcript
    calls = []

    def breaks_once(client, character_id, session_id):
        calls.append(session_id)
        if len(calls) == 5:
            raise RuntimeError("the client broke")
        return get_transcript(client, character_id, session_id)

    monkeypatch.setattr(ConvaiClient, "get_transcript", breaks_once)
    run = run_sync(astronaut)
    assert run.status == SyncStatus.FAILED
    assert run.stop_reason == "Stopped by an unexpected error: RuntimeError: the client broke"
    assert run.transcripts_fetched < 79


def test_a_queued_sync_is_cancelled_before_it_starts(astronaut):
    run, _ = sync.claim(astronaut)
    sync.request_cancel(run)
    assert sync.run(run).status == SyncStatus.CANCELLED
    assert sync.claim(astronaut)[1], "a cancelled run does not block the next"


def test_the_command_syncs_a_character_with_a_progress_bar(astronaut, capsys):
    call_command("sync_history", "--character", ASTRONAUT_ID, "--concurrency", "3")
    out, err = capsys.readouterr()
    assert "DK: done; 79 new sessions, 79 transcripts fetched, 0 failures" in out
    assert "79/79" in err
    assert Interaction.objects.count() == 483


def test_the_command_syncs_all_and_reports_failures(owner, astronaut, sandbox):
    make_character(
        owner, make_key(owner, secret="revoked-key-0000", label="Old"), character_id="c2"
    )
    with pytest.raises(CommandError, match="1 sync"):
        call_command("sync_history", "--all")
    assert Interaction.objects.count() == 483


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--character", "no-such-character"], "Nobody holds the character"),
        (["--all", "--concurrency", "0"], "at least 1"),
    ],
)
def test_the_command_refuses_bad_arguments(db, args, words):
    with pytest.raises(CommandError, match=words):
        call_command("sync_history", *args)
