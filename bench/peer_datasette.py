"""Against Datasette: the reviewer's pages of the project and their Datasette equivalents, served
from one copy of the 100,000-session SQLite store, one request to each in turn, many rounds;
the project on the PostgreSQL store timed in the same rounds, alone. Prints the median and p90
of each side and project/Datasette per page, after checking that both sides show the same rows.

Needs Datasette (`.venv/bin/pip install -e '.[dev,bench]'`) and the stores
`manage.py load_scale_data` filled (its large sandbox character):

    .venv/bin/python bench/peer_datasette.py [--sqlite PATH] [--postgres URL | --no-postgres]
        [--rounds 33] [--workers 2] [--suggest-facets]

The SQLite store is DATABASE_URL's when that names one, else /tmp/bench8/scale.sqlite3. It is
copied into a temporary folder (removed at the end) and both servers read the copy, so the
store itself is never written. The PostgreSQL store is DATABASE_URL's when that names one, else
the bench8 database on 127.0.0.1; signing in there adds a user and a session, as bench/load.py
does. On each store the script signs in a user "bench" holding the large character, then
serves the project with gunicorn (DEBUG off, as gunicorn.conf.py sets it up, --workers
processes) and the copy with `datasette serve`, its metadata naming the lines' FTS5 table, its
facet suggestions off. Every page is 50 rows but the transcript, which shows all of its lines
on both sides. The servers' logs go to a folder named at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from _setup import (
    deployed_settings,
    django_on_scratch_database,
    free_port,
    gunicorn,
    hold,
    running,
    signed_in_cookie,
    timed_in_turn,
)

SQLITE_STORE = "/tmp/bench8/scale.sqlite3"
POSTGRES_STORE = "postgres://postgres@127.0.0.1:5432/bench8"
DATABASE = "store"  # the copy's file name, and so its name in Datasette's URLs
PAGE_SIZE = 50
# The deep page starts after this row of the list, newest first.
DEEP_ROW = 50_000
# The transcript timed is the stored one whose interaction count is nearest this.
TRANSCRIPT_INTERACTIONS = 60
# (page name, query, whether any line matches): how common each is on the load_scale_data
# store is measured by bench/search_spread.py (docs/performance.md, "How common the words are").
SEARCHES = [
    ("search, a word in a quarter of all lines", "gate", True),
    ("search, a rarer word (2% of lines)", "orbital", True),
    ("search, a word in 1,000 lines", "discord", True),
    ("search, a phrase", '"without getting caught"', True),
    ("search, a word in no line", "zzzz", False),
    ("search, two common words never in one line", "gate help", False),
]
# What the project shows of each row: a session list's checkboxes name their sessions; a
# transcript's lines and a search page's hits carry their line ids.
SHOWN = {
    "sessions": re.compile(r'name="session" value="([^"]+)"'),
    "lines": re.compile(r'data-line="(\d+)"'),
}


class RowMismatch(AssertionError):
    """The two sides of a page do not show the same rows."""


def shown_rows(html: str, kind: str) -> list[str]:
    """The rows a project page shows, in its order: session IDs or line ids (`kind`)."""
    return SHOWN[kind].findall(html)


def check_rows(page: str, ours: list[str], theirs: list[str], *, ordered: bool) -> None:
    """Raises RowMismatch unless both sides show the same rows (in the same order, if
    `ordered`)."""
    if not ordered:
        ours, theirs = sorted(ours), sorted(theirs)
    if ours == theirs:
        return
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    raise RowMismatch(
        f"{page}: the project shows {len(ours)} rows, Datasette {len(theirs)}; only the "
        f"project's: {only_ours[:5]}, only Datasette's: {only_theirs[:5]}"
        + ("" if only_ours or only_theirs else "; the same rows in another order")
    )


@dataclass(frozen=True)
class Store:
    """What the pages ask of one store, read from it by the project's own code."""

    character_id: str
    character_pk: int
    cookie: tuple[str, str]
    deep_cursor: str  # the list's cursor of row DEEP_ROW
    deep_session_id: str
    transcript_session_id: str


@dataclass(frozen=True)
class Page:
    name: str
    project: str  # path and query
    datasette: str  # path (of the table's HTML view) and query
    kind: str  # what the rows are (SHOWN)
    ordered: bool  # both sides show the rows in one order
    reverse: bool = False  # ... but the project's is Datasette's reversed
    empty: bool = False  # no row matches


def read_store(database_url: str, collect_static: bool) -> Store:
    """Run in a process of its own, as Django is set up once a process, on one database."""
    os.environ["DATABASE_URL"] = database_url
    django_on_scratch_database()

    from django.core.management import call_command
    from django.db.models import F
    from django.db.models.functions import Abs

    from convai_dashboard.history.listing import Sort, encode_cursor
    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    if collect_static:
        # Pages render with WhiteNoise's manifest of hashed static files, as deployed.
        call_command("collectstatic", "--noinput", verbosity=0)
    character = ConvaiCharacter.objects.filter(character_id=LARGE_CHARACTER_ID).first()
    if character is None or character.session_count < DEEP_ROW + PAGE_SIZE:
        sys.exit(f"{database_url}: no large load_scale_data character; run load_scale_data.")
    user, _ = hold(LARGE_CHARACTER_ID)
    # The list's default order, newest first (history.listing.Sort).
    deep = character.sessions.order_by("-started_at", "-session_id")[DEEP_ROW - 1]
    transcript = (
        character.sessions.filter(transcript_fetched_at__isnull=False)
        .order_by(Abs(F("interaction_count") - TRANSCRIPT_INTERACTIONS), "session_id")
        .first()
    )
    assert transcript is not None
    return Store(
        character_id=LARGE_CHARACTER_ID,
        character_pk=character.pk,
        cookie=signed_in_cookie(user),
        deep_cursor=encode_cursor(deep, Sort.NEWEST),
        deep_session_id=deep.session_id,
        transcript_session_id=transcript.session_id,
    )


def in_a_process[T](call: Callable[..., T], *args: object) -> T:
    """`call(*args)` in a new process: Django is set up once a process, on one database."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(call, *args).result()


def project_paths(store: Store) -> list[str]:
    """The project's pages, in the order of `pages`."""
    character = f"/characters/{store.character_id}/"
    return [
        character,
        character + "?memory=yes&trigger=yes",
        character + "?after=" + quote(store.deep_cursor),
        character + "?last=1",
        *("/search/?" + urlencode({"q": query}) for _, query, _ in SEARCHES),
        f"{character}sessions/{store.transcript_session_id}/",
    ]


def pages(store: Store, copy: Path) -> list[Page]:
    """The pages timed: the project's, and Datasette's of the same rows."""
    from datasette.utils import tilde_encode

    def session(session_id: str) -> tuple[str, int]:
        with closing(sqlite3.connect(copy)) as db:
            return db.execute(
                "SELECT started_at, id FROM history_chatsession "
                "WHERE character_id = ? AND session_id = ?",
                [store.character_pk, session_id],
            ).fetchone()

    deep_started, deep_pk = session(store.deep_session_id)
    _, transcript_pk = session(store.transcript_session_id)
    sessions = f"/{DATABASE}/history_chatsession?"
    lines = f"/{DATABASE}/history_line?"
    newest = {"character_id": store.character_pk, "_sort_desc": "started_at", "_size": PAGE_SIZE}
    oldest = {"character_id": store.character_pk, "_sort": "started_at", "_size": PAGE_SIZE}
    # Datasette's cursor: the sort value, then the primary key (its views/table.py).
    deep = f"{tilde_encode(deep_started)},{deep_pk}"
    # The newest 50 matching lines, as the project's first page of hits.
    search = {"character_id": store.character_pk, "_sort_desc": "id", "_size": PAGE_SIZE}
    # Every line the transcript shows: it leaves out a player's empty turn.
    transcript = {
        "session_id": transcript_pk,
        "_where": "NOT (speaker = 'User' AND trim(text) = '')",
        "_sort": "id",
        "_size": "max",
    }
    paths = iter(project_paths(store))
    return [
        Page(
            "first page of the session list",
            next(paths),
            sessions + urlencode(newest),
            "sessions",
            True,
        ),
        Page(
            "filtered list (memory and trigger)",
            next(paths),
            sessions + urlencode({**newest, "in_memory": 1, "has_trigger": 1}),
            "sessions",
            True,
        ),
        Page(
            f"page after row {DEEP_ROW:,}",
            next(paths),
            sessions + urlencode({**newest, "_next": deep}),
            "sessions",
            True,
        ),
        # Datasette has no last page: the same rows are its first, oldest first.
        Page(
            "last page", next(paths), sessions + urlencode(oldest), "sessions", True, reverse=True
        ),
        *(
            Page(
                name,
                next(paths),
                lines + urlencode({**search, "_search": query}),
                "lines",
                False,
                empty=not found,
            )
            for name, query, found in SEARCHES
        ),
        Page(
            f"transcript of {TRANSCRIPT_INTERACTIONS} interactions",
            next(paths),
            lines + urlencode(transcript),
            "lines",
            False,
        ),
    ]


def as_json(datasette_path: str) -> str:
    """The same query as Datasette's table view, as a JSON array of rows."""
    path, _, query = datasette_path.partition("?")
    return f"{path}.json?{query}&_shape=array"


@dataclass(frozen=True)
class Server:
    base: str
    http: requests.Session  # keeps its connection open, as a browser does

    def fetcher(self, path: str) -> Callable[[], str]:
        def fetch() -> str:
            response = self.http.get(self.base + path, timeout=60, allow_redirects=False)
            if response.status_code != 200:
                sys.exit(f"{self.base}{path} answered {response.status_code}")
            return response.text

        return fetch


def client(cookie: tuple[str, str] | None = None) -> requests.Session:
    """Signed in with `cookie`, if given."""
    http = requests.Session()
    # Nothing is sent beyond this machine: no proxy from the environment.
    http.trust_env = False
    if cookie is not None:
        http.cookies.set(*cookie, domain="127.0.0.1")
    return http


def check(page: Page, project: Callable[[], str], datasette: Callable[[], str]) -> int:
    """Checks both sides show the same rows; returns how many."""
    ours = shown_rows(project(), page.kind)
    if page.reverse:
        ours.reverse()
    id_column = "session_id" if page.kind == "sessions" else "id"
    theirs = [str(row[id_column]) for row in json.loads(datasette())]
    check_rows(page.name, ours, theirs, ordered=page.ordered)
    # Rows where none should be, or none where some should: a check of nothing proves nothing.
    if bool(ours) == page.empty:
        sys.exit(f"{page.name}: {len(ours)} rows shown on both sides")
    return len(ours)


def copy_store(source: Path, copy: Path) -> int:
    """A consistent copy, whatever of it is still in the write-ahead log; returns its lines."""
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as original,
        closing(sqlite3.connect(copy)) as copied,
    ):
        original.backup(copied)
        return copied.execute("SELECT count(*) FROM history_line").fetchone()[0]


def serve_with_datasette(
    copy: Path, port: int, folder: Path, options: argparse.Namespace
) -> subprocess.Popen[bytes]:
    # Datasette does not find the FTS5 table by itself (it looks for content="history_line"
    # in double quotes or brackets; migration 0004 uses single quotes), and without it
    # ignores ?_search= and lists every line.
    metadata = folder / "metadata.json"
    fts = {"fts_table": "history_line_fts", "fts_pk": "id"}
    metadata.write_text(json.dumps({"databases": {DATABASE: {"tables": {"history_line": fts}}}}))
    command = [
        str(Path(sys.executable).parent / "datasette"),
        "serve",
        str(copy),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--metadata",
        str(metadata),
    ]
    if not options.suggest_facets:
        # Facet suggestions are a feature the project's pages lack: every page tries each
        # column, up to facet_suggest_time_limit_ms each, which made a list page many times
        # slower (docs/performance.md, "Against Datasette").
        command += ["--setting", "suggest_facets", "off"]
    with (folder / "datasette.log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def served_as_deployed() -> None:
    """Sets this process's environment, which its servers and the processes that sign in
    inherit, as deployed: DEBUG off, on plain HTTP on the loopback, with the same secrets."""
    deployed_settings()
    os.environ.update(DJANGO_HTTPS="0", DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_LOG_JSON="0")


def project_env(database_url: str, *, cache: bool = True) -> dict[str, str]:
    """The environment the project is served with, on `database_url`."""
    # Nothing listens on port 9: a page that asked Convai would fail fast (none should).
    env = {**os.environ, "DATABASE_URL": database_url, "CONVAI_API_URL": "http://127.0.0.1:9"}
    if not cache:
        env["DASHBOARD_CACHE"] = "off"
    return env


def serve_the_project(
    database_url: str, port: int, log: Path, options: argparse.Namespace
) -> subprocess.Popen[bytes]:
    env = project_env(database_url, cache=not options.no_cache)
    return gunicorn(env, port, log, workers=options.workers)


def ms(seconds: list[float], share: float) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[round(share * 100) - 1] * 1000


def report(header: str, rows: list[tuple[str, int, list[list[float]]]], postgres: bool) -> None:
    """A Markdown table: each side's median / p90, and the median of the rounds' ratios."""
    print(header)
    columns = ["page", "rows", "project, SQLite", "Datasette", "project / Datasette"]
    if postgres:
        columns.append("project, PostgreSQL")
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for name, count, timings in rows:
        ours, theirs = timings[0], timings[1]
        ratio = statistics.median(a / b for a, b in zip(ours, theirs, strict=True))
        cells = [name, str(count)]
        cells += [f"{ms(side, 0.5):.1f} / {ms(side, 0.9):.1f} ms" for side in timings[:2]]
        cells.append(f"**{ratio:.2f}x**")
        if postgres:
            cells.append(f"{ms(timings[2], 0.5):.1f} / {ms(timings[2], 0.9):.1f} ms")
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    url = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--sqlite",
        default=url.removeprefix("sqlite://") if url.startswith("sqlite:") else SQLITE_STORE,
        help="the SQLite store's file (default: DATABASE_URL's, else %(default)s)",
    )
    parser.add_argument(
        "--postgres",
        default=url if url.startswith("postgres") else POSTGRES_STORE,
        help="the PostgreSQL store's URL (default: DATABASE_URL's, else %(default)s)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="time SQLite alone")
    parser.add_argument("--rounds", type=int, default=33)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument(
        "--suggest-facets", action="store_true", help="as Datasette does unless told not to"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="the project with every cache off (DASHBOARD_CACHE=off): each page built in full",
    )
    options = parser.parse_args()
    source = Path(options.sqlite)
    if not source.is_file():
        sys.exit(f"No SQLite store at {source}: fill one with manage.py load_scale_data.")
    if not (Path(sys.executable).parent / "datasette").exists():
        sys.exit("Datasette is a bench-only dependency: .venv/bin/pip install -e '.[dev,bench]'")
    from datasette.version import __version__ as datasette_version

    served_as_deployed()
    logs = Path(tempfile.mkdtemp(prefix="convai-peer-logs-"))
    with (
        tempfile.TemporaryDirectory(prefix="convai-peer-") as scratch,
        ExitStack() as started,
    ):
        copy = Path(scratch) / f"{DATABASE}.sqlite3"
        lines = copy_store(source, copy)
        databases = [f"sqlite:///{copy}"] + ([] if options.no_postgres else [options.postgres])
        stores, projects = [], []
        for n, database in enumerate(databases):
            stores.append(in_a_process(read_store, database, n == 0))
            port = free_port()
            log = logs / f"gunicorn-{n}.log"
            started.enter_context(running(serve_the_project(database, port, log, options), port))
            projects.append(Server(f"http://127.0.0.1:{port}", client(stores[-1].cookie)))
        port = free_port()
        started.enter_context(running(serve_with_datasette(copy, port, logs, options), port))
        datasette = Server(f"http://127.0.0.1:{port}", client())
        elsewhere = [project_paths(store) for store in stores[1:]]
        results = []
        for n, page in enumerate(pages(stores[0], copy)):
            actions = [projects[0].fetcher(page.project), datasette.fetcher(page.datasette)]
            count = check(page, actions[0], datasette.fetcher(as_json(page.datasette)))
            # PostgreSQL has no Datasette to check against; its rows should be as many.
            for project, paths in zip(projects[1:], elsewhere, strict=True):
                actions.append(project.fetcher(paths[n]))
                shown = len(shown_rows(actions[-1](), page.kind))
                if shown != count:
                    sys.exit(f"{page.name}: {shown} rows on PostgreSQL, {count} on SQLite")
            results.append((page.name, count, timed_in_turn(actions, options.rounds)))
    header = (
        f"Against Datasette {datasette_version}: a store of {lines:,} lines; gunicorn with "
        f"{options.workers} workers; {options.rounds} rounds of one request to each side in "
        "turn. Milliseconds, median / p90; the ratio is the median of the rounds' ratios."
    )
    report(header, results, postgres=len(stores) > 1)
    print(f"The servers' logs: {logs}")


if __name__ == "__main__":
    main()
