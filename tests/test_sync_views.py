"""The sync in the browser: start, live progress, cancel, summary; and reading while offline."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from convai_dashboard.history.models import SyncRun, SyncStatus
from convai_dashboard.sandbox import ASTRONAUT_ID
from tests.factories import make_character, make_interaction, make_key, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def astronaut(owner, sandbox):
    return make_character(
        owner,
        make_key(owner),
        character_id=ASTRONAUT_ID,
        name="DK",
        sessions_refreshed_at="2026-10-01T00:00Z",
    )


def test_starting_a_sync_queues_it_for_the_worker(
    owner_client, owner, astronaut, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/characters/{astronaut.character_id}/sync/")
    assert response.status_code == 302
    run = SyncRun.objects.get(character=astronaut)
    assert run.status == SyncStatus.DONE and run.transcripts_fetched == 79
    assert run.requested_by_id == owner.pk
    page = owner_client.get(f"/characters/{astronaut.character_id}/").content.decode()
    assert "Last sync" in page and "79 transcripts fetched" in page and "79 new sessions" in page


def test_a_queued_sync_polls_and_shows_its_progress(owner_client, astronaut):
    SyncRun.objects.create(
        character=astronaut,
        status=SyncStatus.RUNNING,
        sessions_total=200,
        sessions_done=50,
        failures=2,
        started_at=timezone.now() - timedelta(seconds=30),
        heartbeat_at=timezone.now(),
    )
    response = owner_client.get(f"/characters/{astronaut.character_id}/sync/status/", **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="sync-status"')
    assert 'data-hx-trigger="every 1s"' in page
    assert '<progress max="200" value="50"' in page
    assert "50 of 200 sessions" in page and "2 errors" in page
    assert "about 2 min left" in page  # 50 done in 30 s, 150 to go
    assert "HX-Trigger" not in response


def test_the_poll_that_sees_the_end_stops_polling_and_refreshes_the_list(owner_client, astronaut):
    SyncRun.objects.create(character=astronaut, status=SyncStatus.DONE, transcripts_fetched=7)
    response = owner_client.get(
        f"/characters/{astronaut.character_id}/sync/status/", HTTP_HX_TRIGGER="sync-status", **HTMX
    )
    assert response["HX-Trigger"] == "sync-finished"
    page = response.content.decode()
    assert "every 1s" not in page and "7 transcripts fetched" in page


def test_without_htmx_the_status_is_read_on_the_character_page(owner_client, astronaut):
    response = owner_client.get(f"/characters/{astronaut.character_id}/sync/status/")
    assert (
        response.status_code == 302
        and response["Location"] == f"/characters/{astronaut.character_id}/"
    )


def test_a_sync_is_cancelled_from_the_page(owner_client, astronaut):
    run = SyncRun.objects.create(character=astronaut, status=SyncStatus.RUNNING)
    response = owner_client.post(f"/characters/{astronaut.character_id}/sync/cancel/", **HTMX)
    assert response.status_code == 200
    run.refresh_from_db()
    assert run.cancel_requested


def test_cancelling_with_nothing_running_is_a_404(owner_client, astronaut):
    assert (
        owner_client.post(f"/characters/{astronaut.character_id}/sync/cancel/").status_code == 404
    )


def test_a_sync_killed_with_its_worker_shows_as_interrupted(owner_client, astronaut, settings):
    settings.SYNC_STALE_SECONDS = 5
    SyncRun.objects.create(
        character=astronaut, status=SyncStatus.RUNNING, heartbeat_at="2026-01-01T00:00Z"
    )
    page = owner_client.get(f"/characters/{astronaut.character_id}/").content.decode()
    assert "interrupted" in page and "stopped reporting progress" in page
    assert "Sync all transcripts" in page, "a new sync can be started"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_stored_history_reads_while_convai_is_unreachable(owner_client, owner, settings):
    settings.CONVAI_API_URL = closed_port_url()
    character = make_character(owner, make_key(owner), sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(character, transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", "Are you there?"), ("Character", "Always."))
    refreshed = owner_client.post(f"/characters/{character.character_id}/refresh/", follow=True)
    assert "connection refused" in refreshed.content.decode()
    page = owner_client.get(f"/characters/{character.character_id}/").content.decode()
    assert "Showing stored history." in page
    assert "Convai could not be reached" in page and "connection refused" in page
    assert "The session list was last refreshed" in page
    transcript = owner_client.get(
        f"/characters/{character.character_id}/sessions/{session.session_id}/"
    )
    assert transcript.status_code == 200 and "Always." in transcript.content.decode()


def test_the_offline_banner_goes_once_convai_answers_again(owner_client, owner, sandbox):
    character = make_character(
        owner, make_key(owner), character_id=ASTRONAUT_ID, sessions_refreshed_at="2026-10-01T00:00Z"
    )
    sandbox.fault = "error_503_html"
    owner_client.post(f"/characters/{character.character_id}/refresh/")
    sandbox.fault = None
    owner_client.post(f"/characters/{character.character_id}/refresh/")
    assert (
        "Showing stored history."
        not in owner_client.get(f"/characters/{character.character_id}/").content.decode()
    )


def test_reading_a_page_during_a_healthy_sync_writes_nothing(owner_client, astronaut):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    SyncRun.objects.create(
        character=astronaut,
        status=SyncStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    with CaptureQueriesContext(connection) as queries:
        owner_client.get(f"/characters/{astronaut.character_id}/")
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    # Only the session machinery may write (it saves the session after a request).
    assert all("django_session" in sql for sql in writes), writes
