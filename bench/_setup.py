"""What every benchmark needs: Django on a scratch database, and a sandbox in its own process
(as Convai is: its CPU work must not share this process's interpreter lock)."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The scripts run as `python bench/NAME.py`, with bench/ rather than the project on sys.path.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Re-exported for the scripts: the sandbox in its own process, shared with load_scale_data.
from convai_dashboard.sandbox.process import free_port, stop, wait_for_port  # noqa: E402
from convai_dashboard.sandbox.process import (  # noqa: E402
    start_sandbox_process as sandbox_process,
)

__all__ = [
    "ROOT",
    "deployed_settings",
    "django_on_scratch_database",
    "every_transcript",
    "free_port",
    "gunicorn",
    "hold",
    "median_ms",
    "median_ratio",
    "page_request",
    "peak_mb",
    "running",
    "sandbox_process",
    "signed_in_cookie",
    "timed_in_turn",
]


def median_ms(action: Callable[[], object], runs: int, warm_up: int = 3) -> float:
    """The median time of `runs` calls, in milliseconds, after `warm_up` calls untimed."""
    for _ in range(warm_up):
        action()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def timed_in_turn(
    actions: list[Callable[[], object]], runs: int, warm_up: int = 3
) -> list[list[float]]:
    """Seconds each call took, action by action: in each of `runs` rounds every action is
    called once, in turn, so that a machine slowing down or speeding up mid-run weighs on all
    alike. `warm_up` rounds first are not timed."""
    for _ in range(warm_up):
        for action in actions:
            action()
    timings: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, seconds in zip(actions, timings, strict=True):
            start = time.perf_counter()
            action()
            seconds.append(time.perf_counter() - start)
    return timings


def median_ratio(
    action: Callable[[], object], baseline: Callable[[], object], runs: int, warm_up: int = 3
) -> tuple[float, float, float]:
    """(median ms of `action`, median ms of `baseline`, median of their ratio in each round),
    the two called in turn."""
    ours, theirs = timed_in_turn([action, baseline], runs, warm_up)
    return (
        statistics.median(ours) * 1000,
        statistics.median(theirs) * 1000,
        statistics.median(a / b for a, b in zip(ours, theirs, strict=True)),
    )


def every_transcript(client: Any, concurrency: int) -> tuple[Any, dict[str, Any]]:
    """The sandbox's large character's session list, and every transcript by session ID, as
    the client parses them, fetched as a sync fetches them: `concurrency` requests in flight
    on the client's pool."""
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    listed = client.list_sessions(LARGE_CHARACTER_ID)
    ids = [summary.session_id for summary in listed]
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        fetched = pool.map(
            lambda session_id: client.get_transcript(LARGE_CHARACTER_ID, session_id), ids
        )
        return listed, dict(zip(ids, fetched, strict=True))


def peak_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def deployed_settings() -> None:
    """Sets this process's environment (and so its children's) for Django as deployed: DEBUG
    off (it logs every SQL query), with throwaway secrets unless some are set."""
    from cryptography.fernet import Fernet

    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-" + "x" * 40)
    os.environ.setdefault("CONVAI_KEY_ENCRYPTION_KEYS", Fernet.generate_key().decode())


def django_on_scratch_database() -> str:
    """Configures Django on DATABASE_URL if set, else on a new SQLite file; returns its URL."""
    deployed_settings()
    if "DATABASE_URL" not in os.environ:
        path = Path(tempfile.mkdtemp(prefix="convai-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convai_dashboard.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def hold(character_id: str, username: str = "bench"):  # type: ignore[no-untyped-def]
    """A user holding the character under the sandbox's demo key, and the character's history.
    Access is granted as Convai's answer would grant it: the benchmarks time the store, not
    the check."""
    from django.contrib.auth.models import User

    from convai_dashboard.accounts import checks, teams
    from convai_dashboard.accounts.models import ApiKey
    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.sandbox import DEMO_KEY

    user, _ = User.objects.get_or_create(username=username)
    team = teams.personal_team(user)
    key = ApiKey.objects.filter(team=team, label="bench").first() or ApiKey(
        team=team, label="bench"
    )
    key.set_secret(DEMO_KEY)
    key.save()
    checks.grant(key, character_id, "")
    return user, ConvaiCharacter.objects.held_by(user, character_id)


def page_request(user, path: str):  # type: ignore[no-untyped-def]
    """A GET of `path` as a view sees it behind the middleware: signed in as `user`, with
    htmx's details, a session and messages. Views called with it skip the middleware, so a
    page and its baseline render are timed alike."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory
    from django_htmx.middleware import HtmxDetails

    made = RequestFactory().get(path)
    made.user = user
    made.htmx = HtmxDetails(made)
    made.session = {}
    made._messages = FallbackStorage(made)
    return made


def signed_in_cookie(user: Any) -> tuple[str, str]:
    """(name, value) of a session cookie that signs `user` in, stored as a sign-in stores it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


def gunicorn(
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    workers: int,
    threads: int | None = None,
    checkout: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """The project under gunicorn, as gunicorn.conf.py sets it up (threads too, unless
    given), on a loopback port; its log goes to `log`. `checkout` is the copy of the project
    it serves: gunicorn puts its working directory first on the import path, ahead of the
    virtualenv's editable install of this one."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
    ]
    if threads is not None:
        command += ["--threads", str(threads)]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT
        )


@contextmanager
def running(process: subprocess.Popen[bytes], port: int | None = None) -> Iterator[None]:
    """Waits for the process to listen on `port` (if given); stops it at the end."""
    try:
        if port is not None:
            try:
                wait_for_port(port, timeout=60, process=process)
            except RuntimeError as error:
                sys.exit(f"{process.args!r} did not start: {error}")
        yield
    finally:
        stop(process, timeout=60)
