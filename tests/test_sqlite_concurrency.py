"""The web process and a sync worker write to one SQLite file at once, without "database is
locked" (WAL, a busy timeout, IMMEDIATE transactions): two real processes, one real file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# Acts as the web process: reads lists and transcripts, refreshes lists and fetches transcripts
# through the real views, for as long as the sync runs.
WEB_WORKLOAD = """
import random, time
from django.test import Client
from django.contrib.auth.models import User
from convai_dashboard.history.models import ChatSession, ConvaiCharacter
client = Client()
client.force_login(User.objects.get(username="demo"))
characters = list(ConvaiCharacter.objects.values_list("pk", "character_id"))
deadline = time.monotonic() + 15
while time.monotonic() < deadline and not __import__("pathlib").Path(DONE).exists():
    pk, url = random.choice(characters)
    assert client.get(f"/characters/{url}/?page={random.randint(1, 5)}").status_code == 200
    assert client.post(f"/characters/{url}/refresh/").status_code == 302
    session = ChatSession.objects.filter(character_id=pk).order_by("?").first()
    assert client.get(f"/characters/{url}/sessions/{session.session_id}/").status_code == 200
    print("round done at", time.time())
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="checks SQLite's own locking")
def test_the_web_and_a_sync_write_at_once_without_locking_errors(sandbox_server, tmp_path):
    sandbox_server.reset()
    sandbox_server.latency_ms = 40  # keeps the sync going for a few seconds
    done = tmp_path / "sync-done"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "CONVAI_API_URL": sandbox_server.url,
    }

    def manage(*args: str) -> list[str]:
        return [sys.executable, "manage.py", *args]

    for step in (["migrate", "-v0"], ["seed_demo", "--lists-only"]):
        subprocess.run(manage(*step), cwd=ROOT, env=env, check=True, capture_output=True)
    sync_started = time.time()
    sync = subprocess.Popen(
        manage("sync_history", "--all", "--concurrency", "8"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    web = subprocess.Popen(
        manage("shell", "-c", f"DONE = {str(done)!r}\n{WEB_WORKLOAD}"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sync_out, sync_err = sync.communicate(timeout=120)
    sync_ended = time.time()
    done.touch()
    web_out, web_err = web.communicate(timeout=120)
    sandbox_server.reset()

    assert "locked" not in sync_err + web_err
    assert sync.returncode == 0, sync_err[-2000:]
    assert web.returncode == 0, web_err[-2000:]
    assert sync_out.count(": done;") == 3
    rounds = [float(line.split()[-1]) for line in web_out.splitlines() if "round done" in line]
    overlapping = [at for at in rounds if sync_started < at < sync_ended]
    assert len(overlapping) >= 3, "the web process wrote while the sync was writing"
