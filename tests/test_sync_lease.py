"""Who holds a sync: a run whose process is gone from this host is taken over at once (after a
kill -9, an OOM kill, a reboot); one held on another host only once its heartbeat is stale;
and `sync_history` says why it did not run, or waits with --wait."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from convai_dashboard.history import holder, sync
from convai_dashboard.history.holder import Holder, this_process
from convai_dashboard.history.models import SyncRun, SyncStatus
from convai_dashboard.pages.sync import latest_run
from convai_dashboard.sandbox import ASTRONAUT_ID
from tests.factories import make_character, make_key

ROOT = Path(__file__).resolve().parent.parent
LINUX = Path("/proc/self/stat").exists()


@pytest.fixture
def astronaut(owner, sandbox):
    return make_character(owner, make_key(owner), character_id=ASTRONAUT_ID, name="DK")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A real process of this host, alive until the test kills it."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def holder_of(sleeper: subprocess.Popen[bytes]) -> Holder:
    return holder.process(sleeper.pid)


def running_run(character, holder: Holder, **fields) -> SyncRun:
    now = timezone.now()
    fields.setdefault("heartbeat_at", now)
    return SyncRun.objects.create(
        character=character,
        status=SyncStatus.RUNNING,
        started_at=now,
        holder_host=holder.host,
        holder_pid=holder.pid,
        holder_started=holder.started,
        **fields,
    )


def killed(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.django_db
def test_a_run_whose_process_is_gone_is_taken_over_at_once(astronaut, sleeper):
    dead = running_run(astronaut, holder_of(sleeper))
    killed(sleeper)
    assert sync.claim(astronaut)[1], "a live heartbeat does not keep a dead process's run"
    dead.refresh_from_db()
    assert dead.status == SyncStatus.INTERRUPTED
    assert dead.stop_reason.startswith(f"Its process ({sleeper.pid} on ")
    assert "ended without finishing it" in dead.stop_reason


@pytest.mark.django_db
def test_a_run_whose_process_lives_is_not_taken_over(astronaut, sleeper):
    live = running_run(astronaut, holder_of(sleeper))
    run, created = sync.claim(astronaut)
    assert (run.pk, created) == (live.pk, False)


@pytest.mark.django_db
def test_a_run_held_on_another_host_waits_for_its_heartbeat_to_go_stale(astronaut, settings):
    elsewhere = Holder("another-host.studio.internal", 1, "")
    run = running_run(astronaut, elsewhere)
    assert sync.claim(astronaut) == (run, False)
    SyncRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.SYNC_STALE_SECONDS + 1)
    )
    assert sync.claim(astronaut)[1]
    run.refresh_from_db()
    assert run.status == SyncStatus.INTERRUPTED
    assert "stopped reporting progress" in run.stop_reason


@pytest.mark.skipif(not LINUX, reason="the start of a process is read from /proc")
@pytest.mark.django_db
@pytest.mark.parametrize(
    "started",
    [
        lambda mine: mine.started.split("/")[0] + "/1",  # an earlier process, same boot
        lambda mine: "a-boot-before-a-restart/" + mine.started.split("/")[1],
    ],
    ids=["process id reused", "machine restarted"],
)
def test_a_process_id_now_used_by_another_process_is_not_taken_for_the_holder(astronaut, started):
    mine = this_process()
    stale_self = running_run(astronaut, Holder(mine.host, mine.pid, started(mine)))
    assert sync.claim(astronaut)[1]
    stale_self.refresh_from_db()
    assert stale_self.status == SyncStatus.INTERRUPTED


@pytest.mark.django_db
def test_the_page_shows_a_run_whose_process_is_gone_as_interrupted(astronaut, sleeper):
    running_run(astronaut, holder_of(sleeper))
    assert latest_run(astronaut).status == SyncStatus.RUNNING
    killed(sleeper)
    assert latest_run(astronaut).status == SyncStatus.INTERRUPTED


@pytest.mark.django_db
def test_a_command_holds_its_run_from_the_moment_it_claims_it(astronaut, sleeper):
    run, _ = sync.claim(astronaut, run_here=True)
    assert run.status == SyncStatus.QUEUED and run.holder == this_process()
    # A queued run of a command that died before starting it does not block the next one.
    SyncRun.objects.filter(pk=run.pk).update(holder_pid=sleeper.pid)
    killed(sleeper)
    assert sync.claim(astronaut)[1]


@pytest.mark.django_db
def test_the_command_exits_non_zero_saying_why_when_a_sync_is_under_way(astronaut, capsys):
    live = running_run(astronaut, this_process())
    with pytest.raises(CommandError, match="1 sync\\(s\\) did not run") as caught:
        call_command("sync_history", "--character", ASTRONAUT_ID)
    assert caught.value.returncode == 75
    said = capsys.readouterr().err
    assert "DK: did not run: a sync of this character is under way (running since" in said
    assert f"in process {os.getpid()} on " in said and "--wait" in said
    assert SyncRun.objects.get() == live


@pytest.mark.django_db
def test_the_command_waits_for_a_live_sync_then_runs(astronaut, sleeper, capsys, monkeypatch):
    from convai_dashboard.history.management.commands import sync_history

    monkeypatch.setattr(sync_history, "WAIT_POLL_SECONDS", 0.1)
    live = running_run(astronaut, holder_of(sleeper))
    # The live sync's process ends a moment after the command starts waiting for it.
    subprocess.Popen(
        [sys.executable, "-c", f"import os, time; time.sleep(1); os.kill({sleeper.pid}, 9)"]
    )
    started = time.monotonic()
    call_command("sync_history", "--character", ASTRONAUT_ID, "--wait")
    assert time.monotonic() - started >= 0.9
    out, err = capsys.readouterr()
    assert "DK: waiting for the sync under way to end (running since" in err
    assert "DK: done; 79 new sessions, 79 transcripts fetched, 0 failures" in out
    live.refresh_from_db()
    assert live.status == SyncStatus.INTERRUPTED


# --- a real kill -9 ---------------------------------------------------------------------------


def database_url(tmp_path: Path) -> str:
    """A database the test and its manage.py subprocesses share: the test database itself on
    PostgreSQL (the test commits), a file on SQLite (whose test database is in memory)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


READ_BACK = """
import json
from convai_dashboard.history.models import ChatSession, Interaction, SyncRun
print(json.dumps({
    "runs": list(SyncRun.objects.order_by("pk").values_list("status", "stop_reason")),
    "stored": ChatSession.objects.exclude(transcript_fetched_at=None).count(),
    "interactions": Interaction.objects.count(),
}))
"""


@pytest.mark.django_db(transaction=True)
def test_a_sync_killed_by_the_system_is_resumed_at_once_by_the_next(sandbox_server, tmp_path):
    sandbox_server.reset()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": database_url(tmp_path),
        "CONVAI_API_URL": sandbox_server.url,
        # Far longer than the test: only the holder's death can let the second run start.
        "SYNC_STALE_SECONDS": "600",
    }

    def manage(*args: str, **options) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            **options,
        )

    if connection.vendor == "sqlite":
        assert manage("migrate", "-v0").returncode == 0
    assert manage("seed_demo", "--lists-only").returncode == 0
    sync_one = [sys.executable, "manage.py", "sync_history", "--character", ASTRONAUT_ID]
    sandbox_server.latency_ms = 50  # a few seconds of sync, to kill it in the middle of
    first = subprocess.Popen(
        [*sync_one, "--concurrency", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while sum(r.path.endswith("/details") for r in sandbox_server.requests) < 12:
            assert first.poll() is None and time.monotonic() < deadline, "it never got going"
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        # Dead, but not reaped: to the next run it is a zombie, as to a parent that is slow.
        os.waitid(os.P_PID, first.pid, os.WEXITED | os.WNOWAIT)
        sandbox_server.latency_ms = 0
        started = time.monotonic()
        second = manage(*sync_one[2:])
        took = time.monotonic() - started
    finally:
        first.kill()
        first.wait()
    sandbox_server.reset()

    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, second.stderr[-2000:]
    assert took < 60
    [summary] = [line for line in second.stdout.splitlines() if line.startswith("DK Metcalf:")]
    fetched = int(summary.split(", ")[1].split()[0])
    assert summary.startswith("DK Metcalf: done; 0 new sessions") and 0 < fetched < 79
    state = json.loads(manage("shell", "-c", READ_BACK).stdout.splitlines()[-1])
    [(killed_status, killed_reason), (resumed_status, _)] = state["runs"]
    assert (killed_status, resumed_status) == ("interrupted", "done")
    assert f"Its process ({first.pid} on " in killed_reason
    assert (state["stored"], state["interactions"]) == (79, 483)
