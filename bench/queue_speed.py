"""Review queues on a 100,000-session store, each aim against its baseline in the same run:
- "Start" and "Done and next" over HTTP under gunicorn, each against the transcript partial
  of the session it hands out, asked next by the same reviewer: a queue of 10,000 sessions
  worked by 10 reviewers, each signed in with a session of their own, at the queue's start
  and again once 5,000 of its items are done (the claim then passes over them);
- filling a queue of 100,000 sessions from a filter (review.queues.add_matching) against a
  raw executemany of the same rows into the same table, the rows deleted in between.

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL,
read with the CONVAI_KEY_ENCRYPTION_KEYS it was filled with. It writes into that store, so
give it a copy: a team "bench queues" of the 10 reviewers, its queues (an earlier run's are
deleted first), and the statuses the reviewers' verdicts give 5,000 sessions and more:

    .venv/bin/python bench/queue_speed.py [--rounds 30] [--fill-rounds 5] [--cache]

Pages are built in full (DASHBOARD_CACHE=off), as a session handed out is on its first
visit, unless --cache: then the baseline reads the transcript's lines from the cache that
the action has just filled, where both requests reach the same gunicorn worker.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from _setup import django_on_scratch_database, free_port, gunicorn, running, signed_in_cookie
from peer_datasette import client, project_env, served_as_deployed

REVIEWERS = 10
QUEUE_SIZE = 10_000
DEEP = 5_000
TEAM = "bench queues"
WARM_UP = 2  # rounds, untimed: the first requests of each worker and connection
HTMX = {"HX-Request": "true"}
TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


@dataclass
class Reviewer:
    user: Any
    http: requests.Session


@dataclass
class Pairs:
    """Seconds of each action, and of the transcript partial it led to, round by round."""

    action: list[float]
    transcript: list[float]

    def report(self, name: str) -> str:
        ratio = statistics.median(a / t for a, t in zip(self.action, self.transcript, strict=True))
        return (
            f"  {name}: {statistics.median(self.action) * 1000:.1f} ms, the transcript partial "
            f"{statistics.median(self.transcript) * 1000:.1f} ms: {ratio:.2f}x (aim: at most 2x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="each reviewer's, per figure")
    parser.add_argument("--fill-rounds", type=int, default=5)
    parser.add_argument("--cache", action="store_true", help="serve with the caches on")
    options = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        sys.exit("Set DATABASE_URL to the store that load_scale_data filled.")
    served_as_deployed()
    database = django_on_scratch_database()

    from django.core.management import call_command
    from django.db import connection

    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.review import queues
    from convai_dashboard.review.models import Queue
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    character = ConvaiCharacter.objects.filter(character_id=LARGE_CHARACTER_ID).first()
    if character is None or character.session_count == 0:
        sys.exit("The store has no load_scale_data character: run manage.py load_scale_data.")
    call_command("collectstatic", "--noinput", verbosity=0)
    team, users = _team(LARGE_CHARACTER_ID)
    Queue.objects.filter(team=team).delete()  # an earlier run's

    newest = character.sessions.order_by("-started_at").values("pk")[:QUEUE_SIZE]
    queue = Queue.objects.create(team=team, name="bench: work", hold_minutes=30)
    queue.reviewers.set(users)
    queues.add_matching(queue, character.sessions.filter(pk__in=newest))
    fill = _fill(team, character, options.fill_rounds)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="convai-queues-")) / "gunicorn.log"
    connection.close()  # gunicorn's workers must not inherit it
    server = gunicorn(project_env(database, cache=options.cache), port, log, workers=2)
    with running(server, port):
        reviewers = [_signed_in(base, user, queue) for user in users]
        work = _Work(base, queue, LARGE_CHARACTER_ID, reviewers)
        at_start = work.measure(options.rounds)
        done = _advance(queue, users, DEEP)
        deep = work.measure(options.rounds)

    print(
        f"database: {database.split(':')[0]}; {character.session_count:,} sessions; a queue "
        f"of {QUEUE_SIZE:,} worked by {REVIEWERS} reviewers over HTTP (gunicorn, 2 workers, "
        f"caches {'on' if options.cache else 'off'}); medians of {options.rounds * REVIEWERS} "
        "pairs, each action and the transcript it hands out asked in turn"
    )
    for where, (start, done_next) in [("at its start", at_start), (f"{done:,} done", deep)]:
        print(start.report(f"Start, {where}"))
        print(done_next.report(f"Done and next, {where}"))
    print(fill)
    print(f"gunicorn's log: {log}")


def _team(character_id: str) -> tuple[Any, list[Any]]:
    """A team holding the character under the sandbox's demo key, with its reviewers.
    Access is granted as Convai's answer would grant it: the benchmark times the queue."""
    from django.contrib.auth.models import User

    from convai_dashboard.accounts import checks, teams
    from convai_dashboard.accounts.models import ApiKey, Membership, Role, Team
    from convai_dashboard.sandbox import DEMO_KEY

    team = Team.objects.filter(name=TEAM).first()
    if team is None:
        team = teams.create_team(TEAM, User.objects.get(username="demo"))
    key = ApiKey.objects.filter(team=team).first() or ApiKey(team=team, label="bench")
    key.set_secret(DEMO_KEY)
    key.save()
    checks.grant(key, character_id, "")
    users = []
    for n in range(1, REVIEWERS + 1):
        user, _ = User.objects.get_or_create(username=f"queue-{n:02}")
        Membership.objects.update_or_create(team=team, user=user, defaults={"role": Role.REVIEWER})
        users.append(user)
    return team, users


def _signed_in(base: str, user: Any, queue: Any) -> Reviewer:
    """The reviewer's own signed-in session, with the CSRF token the work page gives htmx."""
    http = client(signed_in_cookie(user))
    page = http.get(f"{base}/teams/{queue.team_id}/queues/{queue.pk}/work/", timeout=30)
    page.raise_for_status()
    token = TOKEN.search(page.text)
    if token is None:
        sys.exit("The work page carries no CSRF token for htmx.")
    http.headers["X-CSRFToken"] = token.group(1)
    return Reviewer(user, http)


class _Work:
    """Rounds of "Start" and of "Done and next", reviewer after reviewer, each followed by the
    transcript partial of the session it handed out, asked by the same reviewer."""

    def __init__(self, base: str, queue: Any, character_id: str, reviewers: list[Reviewer]):
        self.base, self.queue, self.reviewers = base, queue, reviewers
        self.queue_url = f"/teams/{queue.team_id}/queues/{queue.pk}/"
        self.character_url = f"/characters/{character_id}/"

    def measure(self, rounds: int) -> tuple[Pairs, Pairs]:
        start = self._pairs(self._start, rounds)
        done_next = self._pairs(self._done, rounds)
        self._release()
        return start, done_next

    def _pairs(self, ready: Callable[[Reviewer], Callable[[], str]], rounds: int) -> Pairs:
        """`ready` does what the action needs first, untimed, and returns the action."""
        pairs = Pairs([], [])
        for n in range(WARM_UP + rounds):
            for reviewer in self.reviewers:
                action = ready(reviewer)
                began = time.perf_counter()
                shown = action()
                acted = time.perf_counter() - began
                session_id = self._held(reviewer).session.session_id
                if session_id not in shown:
                    sys.exit(f"{reviewer.user} was not shown the session handed out.")
                path = f"{self.character_url}sessions/{session_id}/"
                began = time.perf_counter()
                self._fetch(reviewer, "get", path, "transcript")
                if n >= WARM_UP:
                    pairs.action.append(acted)
                    pairs.transcript.append(time.perf_counter() - began)
        return pairs

    def _start(self, reviewer: Reviewer) -> Callable[[], str]:
        self._release([reviewer])  # "Start" is asked with nothing held
        return lambda: self._fetch(reviewer, "post", f"{self.queue_url}start/", "queue-work")

    def _done(self, reviewer: Reviewer) -> Callable[[], str]:
        path = f"{self.queue_url}items/{self._held(reviewer).pk}/done/"
        return lambda: self._fetch(reviewer, "post", path, "queue-work", {"status": "approved"})

    def _fetch(
        self, reviewer: Reviewer, method: str, path: str, target: str, data: Any = None
    ) -> str:
        headers = {**HTMX, "HX-Target": target}
        answer = reviewer.http.request(
            method, self.base + path, data=data, headers=headers, timeout=60
        )
        if answer.status_code != 200:
            sys.exit(f"{method.upper()} {path} answered {answer.status_code}")
        return answer.text

    def _held(self, reviewer: Reviewer) -> Any:
        from convai_dashboard.review import queues

        item = queues.held_by(self.queue, reviewer.user)
        if item is None:
            sys.exit(f"{reviewer.user} was handed no session: the queue ran out.")
        return item

    def _release(self, reviewers: list[Reviewer] | None = None) -> None:
        """Each reviewer's held session given a verdict, untimed, so that none holds one."""
        from convai_dashboard.history.models import ReviewStatus
        from convai_dashboard.review import queues

        for reviewer in reviewers or self.reviewers:
            item = queues.held_by(self.queue, reviewer.user)
            if item is not None:
                item.queue = self.queue
                queues.finish(item, reviewer.user, ReviewStatus.APPROVED)


def _advance(queue: Any, users: list[Any], done: int) -> int:
    """Verdicts on the queue's items, reviewer after reviewer, until `done` of them are
    settled; returns how many are."""
    from convai_dashboard.history.models import ReviewStatus
    from convai_dashboard.review import queues

    settled = queue.items.exclude(final_status="").count()
    while settled < done:
        for user in users:
            item = queues.start(queue, user)
            if item is None:
                sys.exit("The queue ran out before it was deep enough.")
            item.queue = queue
            queues.finish(item, user, ReviewStatus.APPROVED)
            settled += 1
    return settled


def _fill(team: Any, character: Any, rounds: int) -> str:
    """add_matching on every session of the character, against a raw executemany of the
    same rows into the same table, in turn; the rows deleted after each."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from convai_dashboard.review import queues
    from convai_dashboard.review.models import Queue, QueueItem

    queue = Queue.objects.create(team=team, name="bench: fill")
    table = QueueItem._meta.db_table
    sessions = character.sessions.all()
    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def clear() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE queue_id = %s", [queue.pk])

    def matching() -> int:
        return queues.add_matching(queue, sessions)

    with CaptureQueriesContext(connection) as queries:
        added = matching()
    inserts = sum(f"INSERT INTO {table}" in q["sql"].replace('"', "") for q in queries)
    rows = [
        (queue.pk, pk, n, now, 0, "")
        for pk, n in queue.items.order_by("position").values_list("session_id", "position")
    ]
    clear()

    def raw() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (queue_id, session_id, position, added_at, reviews_done, "
                "final_status) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )

    ours: list[float] = []
    theirs: list[float] = []
    for n in range(rounds):
        # Each goes first in turn: the second may find the table's pages warmer.
        for action, seconds in [(matching, ours), (raw, theirs)][:: 1 if n % 2 else -1]:
            began = time.perf_counter()
            action()
            seconds.append(time.perf_counter() - began)
            clear()
    queue.delete()
    ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
    return (
        f"a queue of {added:,} sessions from a filter (add_matching): "
        f"{statistics.median(ours):.2f} s, {len(queries)} statements of which {inserts} "
        f"INSERT; raw executemany of the same rows: {statistics.median(theirs):.2f} s; "
        f"{ratio:.2f}x, median of {rounds} rounds (aim: one statement, at most 3x)"
    )


if __name__ == "__main__":
    main()
