"""The sandbox's large character as a sync of the sandbox would receive it, made in a process of
its own for load_scale_data: the sandbox's generator writes each answer as the sandbox would
send it (the same JSON bytes), and the client's parser reads it, as the client reads what
arrives. Only the HTTP between them is left out.

Why: on a machine of two cores, the client's HTTP to a sandbox on the same machine cost more
than storing the rows (docs/performance.md, "Load time"), a cost of the bench, not of a
real Convai, whose cost is its latency (bench/sync_speed.py measures that path). Made in
another process, the next transcripts are ready while the command stores the last ones.

Nothing here needs Django: the process starts fresh (spawned, not forked from one holding
database connections).
"""

from __future__ import annotations

import json
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from typing import Any

from convai_dashboard.convai import parse
from convai_dashboard.convai.records import Entries, Interaction, SessionSummary
from convai_dashboard.sandbox import DEMO_KEY, LARGE_CHARACTER_ID
from convai_dashboard.sandbox.accounts import Account, build_accounts
from convai_dashboard.sandbox.responses import json_response

# Chunks of transcripts made ahead of the one being stored: enough to keep the other process
# busy, and memory flat for any size.
AHEAD = 2


@cache
def _history(sessions: int) -> Any:
    account: Account = build_accounts(large_sessions=sessions)[DEMO_KEY]
    return account.characters[LARGE_CHARACTER_ID].history


def _as_received(payload: Any) -> Any:
    return json.loads(json_response(200, payload).body)


def _session_list(sessions: int) -> Entries[SessionSummary]:
    return parse.session_list(_as_received(_history(sessions).list_sessions(None)))


def _transcripts(sessions: int, session_ids: Sequence[str]) -> list[list[Interaction]]:
    history = _history(sessions)
    return [parse.transcript(_as_received(history.details(s))) for s in session_ids]


class ScaleHistory:
    """The large character of `sessions` sessions, asked of the process that makes it."""

    def __init__(self, pool: ProcessPoolExecutor, sessions: int) -> None:
        self._pool, self._sessions = pool, sessions

    def session_list(self) -> Entries[SessionSummary]:
        return self._pool.submit(_session_list, self._sessions).result()

    def transcripts(self, chunks: Iterable[Sequence[str]]) -> Iterator[list[list[Interaction]]]:
        """Each chunk's transcripts (of its session IDs, in order), chunk by chunk."""
        ahead: deque[Future[list[list[Interaction]]]] = deque()
        for chunk in chunks:
            ahead.append(self._pool.submit(_transcripts, self._sessions, chunk))
            if len(ahead) > AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


@contextmanager
def scale_history(sessions: int) -> Iterator[ScaleHistory]:
    spawned = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawned) as pool:
        yield ScaleHistory(pool, sessions)
