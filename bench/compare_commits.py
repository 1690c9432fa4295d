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
as it is, or, across a change of schema it cannot read, its own copy of the same store at its
own migrations (`--before-sqlite`: fill one from the older side, copy it, migrate the copy
from the newer side). The pages are bench/peer_datasette.py's, by short name (`--pages`), and
each side signs in through its own sign-in page, as a browser does.
"""

from __future__ import annotations

import argparse
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


# Run by each side's own manage.py, which reads its store as it is (it migrates nothing).
SET_PASSWORD = (
    "from django.contrib.auth.models import User; user = User.objects.get(username='bench'); "
    f"user.set_password({PASSWORD!r}); user.save()"
)


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
    parser.add_argument(
        "--before-sqlite", help="the older side's copy of the store, at its migrations"
    )
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--pages", default=",".join(PAGES), help="of: " + ", ".join(PAGES))
    options = parser.parse_args()
    names = options.pages.split(",")
    if unknown := set(names) - set(PAGES):
        sys.exit(f"No page named {', '.join(sorted(unknown))}; choose from {', '.join(PAGES)}")
    served_as_deployed()
    logs = Path(tempfile.mkdtemp(prefix="convai-compare-logs-"))
    with tempfile.TemporaryDirectory(prefix="convai-compare-") as scratch, ExitStack() as started:
        copy, before_copy = Path(scratch) / "store.sqlite3", Path(scratch) / "before.sqlite3"
        copy_store(Path(options.sqlite), copy)
        if options.before_sqlite:
            copy_store(Path(options.before_sqlite), before_copy)
        databases = [
            f"sqlite:///{before_copy if options.before_sqlite else copy}",
            f"sqlite:///{copy}",
        ]
        store = in_a_process(read_store, databases[1], False)
        paths = dict(zip(PAGES, project_paths(store), strict=True))
        bases = []
        for n, commit in enumerate([options.before, options.after]):
            env = project_env(databases[n])
            checkout = started.enter_context(checked_out(commit))
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=checkout,
                env=env,
                check=True,
            )
            subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", SET_PASSWORD],
                cwd=checkout,
                env=env,
                check=True,
            )
            port = free_port()
            log = logs / f"gunicorn-{n}.log"
            server = gunicorn(env, port, log, workers=2, checkout=checkout)
            started.enter_context(running(server, port))
            bases.append(f"http://127.0.0.1:{port}")
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
