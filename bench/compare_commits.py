"""One commit's pages against another's: both served by gunicorn (DEBUG off, 2 workers each)
from one copy of the 100,000-session SQLite store, each page asked of both in turn, many
rounds. Prints each side's median and the median of the rounds' ratios, after / before: a
step's own effect, which a run of bench/peer_datasette.py, whose ratios move by several per
cent from run to run on a shared machine, cannot tell apart from noise.

    .venv/bin/python bench/compare_commits.py BEFORE [AFTER] [--sqlite PATH] [--rounds 40]
        [--pages first,transcript,...]

AFTER is the working tree unless named. A named commit is checked out in a temporary git
worktree, removed at the end; the project's virtualenv serves every checkout. The store must
have the migrations of the newer side (`manage.py migrate` from it); the older side reads it
as it is. The pages are bench/peer_datasette.py's, by short name (`--pages`), and each side
signs in through its own sign-in page, as a browser does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from _setup import ROOT, free_port, gunicorn, running, timed_in_turn
from peer_datasette import (
    SQLITE_STORE,
    Server,
    client,
    copy_store,
    in_a_process,
    project_env,
    project_paths,
    read_store,
    served_as_deployed,
)

PAGES = [
    "first",
    "filtered",
    "deep",
    "last",
    "common",
    "rarer",
    "word",
    "phrase",
    "no-hit",
    "never-met",
    "transcript",
]
PASSWORD = "compare-commits-password"


def _set_password(database_url: str) -> None:
    """Run in a process of its own: the user bench/peer_datasette.py signs in gets a password."""
    os.environ["DATABASE_URL"] = database_url
    from _setup import django_on_scratch_database

    django_on_scratch_database()
    from django.contrib.auth.models import User

    user = User.objects.get(username="bench")
    user.set_password(PASSWORD)
    user.save()


@contextmanager
def checked_out(commit: str | None) -> Iterator[Path]:
    """The working tree, or `commit` in a temporary worktree."""
    if commit is None:
        yield ROOT
        return
    folder = Path(tempfile.mkdtemp(prefix="convai-compare-")) / "checkout"
    subprocess.run(
        ["git", "worktree", "add", "--quiet", "--detach", str(folder), commit], cwd=ROOT, check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=True)


def signed_in(base: str) -> requests.Session:
    http = client()
    http.get(f"{base}/login/", timeout=30)
    answer = http.post(
        f"{base}/login/",
        {
            "username": "bench",
            "password": PASSWORD,
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        sys.exit(f"{base}: signing in answered {answer.status_code}")
    return http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the commit before")
    parser.add_argument("after", nargs="?", help="the commit after (default: the working tree)")
    parser.add_argument("--sqlite", default=SQLITE_STORE, help="the store (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--pages", default=",".join(PAGES), help="of: " + ", ".join(PAGES))
    options = parser.parse_args()
    names = options.pages.split(",")
    if unknown := set(names) - set(PAGES):
        sys.exit(f"No page named {', '.join(sorted(unknown))}; choose from {', '.join(PAGES)}")
    served_as_deployed()
    logs = Path(tempfile.mkdtemp(prefix="convai-compare-logs-"))
    with tempfile.TemporaryDirectory(prefix="convai-compare-") as scratch, ExitStack() as started:
        copy = Path(scratch) / "store.sqlite3"
        copy_store(Path(options.sqlite), copy)
        database = f"sqlite:///{copy}"
        store = in_a_process(read_store, database, False)
        paths = dict(zip(PAGES, project_paths(store), strict=True))
        env = project_env(database)
        bases = []
        for n, commit in enumerate([options.before, options.after]):
            checkout = started.enter_context(checked_out(commit))
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=checkout,
                env=env,
                check=True,
            )
            port = free_port()
            log = logs / f"gunicorn-{n}.log"
            server = gunicorn(env, port, log, workers=2, checkout=checkout)
            started.enter_context(running(server, port))
            bases.append(f"http://127.0.0.1:{port}")
        in_a_process(_set_password, database)
        sides = [Server(base, signed_in(base)) for base in bases]
        print(
            f"{options.before} (before) against {options.after or 'the working tree'} (after): "
            f"{options.rounds} rounds, each page asked of both in turn. Milliseconds, median."
        )
        print("| page | before | after | after / before |")
        print("| --- | --- | --- | --- |")
        for name in names:
            fetches = [side.fetcher(paths[name]) for side in sides]
            before, after = timed_in_turn(fetches, options.rounds)
            ratio = statistics.median(b / a for a, b in zip(before, after, strict=True))
            print(
                f"| {name} | {statistics.median(before) * 1000:.1f} | "
                f"{statistics.median(after) * 1000:.1f} | **{ratio:.2f}x** |"
            )
    print(f"The servers' logs: {logs}")


if __name__ == "__main__":
    main()
