"""Load: N signed-in users at once reading session lists, transcripts and searches for a while,
through gunicorn on PostgreSQL as a team deployment serves them, all on this machine; with
--sync, while a sync of the same character runs in a task worker. Prints requests per second,
errors, and p50/p95/p99 latency, each kind of page apart and all together.

Needs a PostgreSQL store filled by `manage.py load_scale_data` (its large sandbox character),
named by DATABASE_URL:

    DATABASE_URL=postgres://… .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--sync]

It adds users load-001… holding that character (each signed in through a session of its own),
starts gunicorn from gunicorn.conf.py (--workers, --threads) on a free loopback port, and, with
--sync, the sandbox (in a process of its own, with as many sessions as the store) and a
`db_worker` that re-syncs the character: the worker treats every stored transcript as possibly
still growing (SYNC_SETTLE_MINUTES of a century), so the sync fetches and stores every
transcript again, writing all the while, as a first sync does. The sync is cancelled when the
load ends. Each user sends its next request as soon as the last is answered (--think-ms adds a
pause), so the numbers are for a team clicking without pause. Gunicorn's log goes to a file,
named at the end. Nothing is sent beyond 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from _setup import (
    ROOT,
    django_on_scratch_database,
    free_port,
    gunicorn,
    hold,
    running,
    sandbox_process,
    signed_in_cookie,
)

# Kinds of request, and how often a user makes each.
WEIGHTS = {"list": 35, "transcript": 45, "search": 20}
# The list as users ask for it: sorted, filtered, paged to the end.
LIST_QUERIES = [
    "",
    "?sort=oldest",
    "?sort=longest",
    "?memory=yes",
    "?trigger=yes&sort=newest",
    "?stored=yes&min_interactions=5",
    "?last=1",
]
# A re-sync that refetches every stored transcript: each counts as fetched while the player may
# still have been talking.
A_CENTURY_OF_MINUTES = str(100 * 365 * 24 * 60)


@dataclass
class Sample:
    kind: str
    seconds: float
    error: str | None  # None for a 200


@dataclass
class Plan:
    """What the users ask for, read from the store once."""

    base: str
    character_id: str
    session_ids: list[str]
    words: list[str]
    cookies: list[str]
    cookie_name: str


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, batch: list[Sample]) -> None:
        with self.lock:
            self.samples.extend(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--sync", action="store_true", help="run a sync alongside the load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument("--think-ms", type=float, default=0, help="pause between a user's requests")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="per user, whatever the time left"
    )
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to the PostgreSQL store that load_scale_data filled.")
    # As deployed, on plain HTTP on the loopback (django_on_scratch_database turns DEBUG off).
    os.environ.update(DJANGO_HTTPS="0", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    database = django_on_scratch_database()

    from django.core.management import call_command
    from django.db import connection

    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    character = ConvaiCharacter.objects.filter(character_id=LARGE_CHARACTER_ID).first()
    if character is None or character.session_count == 0:
        sys.exit("The store has no load_scale_data character: run manage.py load_scale_data.")
    # Pages render with WhiteNoise's manifest of hashed static files, as deployed.
    call_command("collectstatic", "--noinput", verbosity=0)
    port = free_port()
    plan = _plan(character, options.users, f"http://127.0.0.1:{port}")
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="convai-load-"))
    with ExitStack() as started:
        convai = "http://127.0.0.1:9"  # nothing listens: a page that asked Convai would fail fast
        if options.sync:
            convai = started.enter_context(
                sandbox_process("--large-sessions", str(character.session_count))
            )
        env = {**os.environ, "CONVAI_API_URL": convai, "DJANGO_LOG_JSON": "0"}
        server_log = workdir / "gunicorn.log"
        server = gunicorn(env, port, server_log, workers=options.workers, threads=options.threads)
        started.enter_context(running(server, port))
        if options.sync:
            worker_env = {**env, "SYNC_SETTLE_MINUTES": A_CENTURY_OF_MINUTES}
            started.enter_context(running(_worker(worker_env, workdir / "worker.log")))
        run = _start_sync(character) if options.sync else None
        done_before = _done(run)
        results = _load(plan, options)
        done_during = _done(run) - done_before
        if run is not None:
            _cancel(run)
    _report(results, options, database, character.session_count, done_during)
    print(f"gunicorn's log: {server_log}")


def _plan(character: Any, users: int, base: str) -> Plan:
    from django.conf import settings

    from convai_dashboard.history.models import Line

    cookies = []
    for n in range(1, users + 1):
        user, _ = hold(character.character_id, username=f"load-{n:03}")
        cookies.append(signed_in_cookie(user)[1])
    session_ids = list(character.sessions.values_list("session_id", flat=True))
    chosen = random.Random(7).sample(session_ids, min(500, len(session_ids)))
    # Words said in the store, common and rare alike, as a reader would look for them: not a
    # player's 200-letter keyboard mash, which the search form refuses as too long (a 400).
    texts = Line.objects.filter(character=character).order_by("?").values_list("text", flat=True)
    words = sorted(
        {
            word.strip(".,!?\"'()[]:;").lower()
            for text in texts[:400]
            for word in text.split()
            if 5 <= len(word.strip(".,!?\"'()[]:;")) <= 30 and word.isascii()
        }
    )
    return Plan(
        base=base,
        character_id=character.character_id,
        session_ids=chosen,
        words=words[:200] or ["asteroid"],
        cookies=cookies,
        cookie_name=settings.SESSION_COOKIE_NAME,
    )


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _start_sync(character: Any) -> Any:
    from django.contrib.auth.models import User

    from convai_dashboard.history import tasks
    from convai_dashboard.history.models import SyncStatus

    run, _ = tasks.start_sync(character, User.objects.get(username="load-001"))
    # A large list takes a while to fetch and store before transcripts are fetched.
    deadline = time.monotonic() + 300
    while run.status == SyncStatus.QUEUED or not run.sessions_total:
        if time.monotonic() > deadline or run.status not in SyncStatus.active():
            sys.exit(f"The sync did not get going: {run.status} {run.stop_reason}")
        time.sleep(0.5)
        run.refresh_from_db()
    return run


def _done(run: Any) -> int:
    if run is None:
        return 0
    run.refresh_from_db()
    return run.sessions_done


def _cancel(run: Any) -> None:
    from convai_dashboard.history import sync

    run.refresh_from_db()
    if run.is_active:
        sync.request_cancel(run)


def _load(plan: Plan, options: argparse.Namespace) -> Results:
    results = Results()
    deadline_box: list[float] = []
    # The clock starts once every user has made its first request, untimed.
    start = threading.Barrier(
        len(plan.cookies) + 1,
        action=lambda: deadline_box.append(time.monotonic() + options.seconds),
        timeout=120,
    )
    threads = [
        threading.Thread(
            target=_user, args=(plan, cookie, n, options, start, deadline_box, results)
        )
        for n, cookie in enumerate(plan.cookies)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = deadline_box[0] - options.seconds
    for thread in threads:
        thread.join()
    results.elapsed = time.monotonic() - began
    return results


def _user(
    plan: Plan,
    cookie: str,
    n: int,
    options: argparse.Namespace,
    start: threading.Barrier,
    deadline_box: list[float],
    results: Results,
) -> None:
    choose = random.Random(n)
    http = requests.Session()
    http.cookies.set(plan.cookie_name, cookie, domain="127.0.0.1")
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    _request(http, plan, "list", choose)  # warms a gunicorn thread; not counted
    start.wait()
    deadline = deadline_box[0]
    samples: list[Sample] = []
    for _ in range(options.max_requests):
        if time.monotonic() >= deadline:
            break
        kind = choose.choices(kinds, weights)[0]
        began = time.monotonic()
        error = _request(http, plan, kind, choose)
        samples.append(Sample(kind, time.monotonic() - began, error))
        if options.think_ms:
            time.sleep(options.think_ms / 1000)
    http.close()
    results.add(samples)


def _request(http: requests.Session, plan: Plan, kind: str, choose: random.Random) -> str | None:
    character = f"{plan.base}/characters/{plan.character_id}/"
    headers: dict[str, str] = {}
    if kind == "list":
        url = character + choose.choice(LIST_QUERIES)
        if choose.random() < 0.5:  # a filter changed or a page turned, by htmx
            headers = {"HX-Request": "true", "HX-Target": "session-list"}
    elif kind == "transcript":
        url = f"{character}sessions/{choose.choice(plan.session_ids)}/"
        if choose.random() < 0.7:  # a click on a row, by htmx; else a link opened
            headers = {"HX-Request": "true", "HX-Target": "transcript"}
    else:
        query = {"q": choose.choice(plan.words)}
        if choose.random() < 0.5:
            query["character"] = plan.character_id
        url = requests.Request("GET", f"{plan.base}/search/", params=query).prepare().url or ""
    try:
        response = http.get(url, headers=headers, timeout=30, allow_redirects=False)
    except requests.RequestException as error:
        return type(error).__name__
    return None if response.status_code == 200 else f"HTTP {response.status_code}"


def _percentiles(seconds: list[float]) -> tuple[float, float, float]:
    if len(seconds) < 2:
        value = seconds[0] * 1000 if seconds else float("nan")
        return value, value, value
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


def _report(
    results: Results, options: argparse.Namespace, database: str, sessions: int, synced: int
) -> None:
    elapsed, samples = results.elapsed, results.samples
    print(
        f"Load: {options.users} users for {options.seconds:g} s (think {options.think_ms:g} ms), "
        f"gunicorn {options.workers} workers x {options.threads} threads, "
        f"{database.split('@')[-1]}, {os.cpu_count()} cores; store of {sessions:,} sessions"
    )
    if options.sync:
        print(f"Sync alongside: {synced:,} transcripts fetched and stored during the load")
    print(f"{'kind':<12}{'requests':>10}{'errors':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind in [*WEIGHTS, "all"]:
        mine = [s for s in samples if kind in (s.kind, "all")]
        p50, p95, p99 = _percentiles([s.seconds for s in mine])
        errors = sum(s.error is not None for s in mine)
        print(f"{kind:<12}{len(mine):>10}{errors:>8}{p50:>10.0f}{p95:>10.0f}{p99:>10.0f}")
    print(f"Requests per second: {len(samples) / elapsed:.1f} over {elapsed:.1f} s")
    errors = Counter(s.error for s in samples if s.error is not None)
    print("Errors: " + (", ".join(f"{n} x {what}" for what, n in errors.items()) or "none"))


if __name__ == "__main__":
    main()
