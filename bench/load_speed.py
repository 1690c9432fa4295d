"""`manage.py load_scale_data` against storing the same rows straight through the store's own
bulk path, in the same database in the same run of this script.

The baseline fetches every session and transcript of the sandbox's large character first (not
timed), then times only `store.store_session_list` and `store.store_transcripts` (in chunks of
--chunk transcripts) storing them under a character of its own. The command then runs as a user
runs it: its own sandbox process (the key and the character are checked through it), the
history generated in a process of its own and stored, and the sync through the sandbox that
follows. The baseline goes first, so the command works on tables already holding the
baseline's rows: if anything, that weighs against the command.

    .venv/bin/python bench/load_speed.py [--sessions 10000] [--chunk 500]
"""

from __future__ import annotations

import argparse
import io
import os
import time
from itertools import batched

from _setup import django_on_scratch_database, every_transcript, sandbox_process


def prefetched(url: str, concurrency: int = 8):  # type: ignore[no-untyped-def]
    """The character's session list and every transcript by session ID, as the client parses
    them."""
    from convai_dashboard.convai.configured import client_for
    from convai_dashboard.sandbox import DEMO_KEY

    with client_for(DEMO_KEY, base_url=url, pool_size=concurrency) as client:
        return every_transcript(client, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500, help="transcripts per store call")
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.core.management import call_command

    from convai_dashboard.history import store, sync
    from convai_dashboard.history.models import ConvaiCharacter, Line

    with sandbox_process("--large-sessions", str(options.sessions)) as url:
        listed, transcripts = prefetched(url)

    character = ConvaiCharacter.objects.create(character_id="bench-store-baseline")
    start = time.perf_counter()
    store.store_session_list(character, listed)
    for chunk in batched(sync.sessions_to_fetch(character), options.chunk):
        unstored = store.store_transcripts([(s, transcripts[s.session_id]) for s in chunk])
        assert not unstored, unstored
    baseline = time.perf_counter() - start
    lines = Line.objects.filter(character=character).count()

    User.objects.get_or_create(username="bench")
    start = time.perf_counter()
    call_command(
        "load_scale_data",
        sessions=options.sessions,
        username="bench",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    command = time.perf_counter() - start
    loaded = Line.objects.exclude(character=character).count()
    assert loaded == lines, (loaded, lines)

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"database: {database.split(':')[0]}; load average at the end: {load}")
    print(f"sessions: {len(listed):,}, lines: {lines:,}")
    print(f"store's bulk path (chunks of {options.chunk}): {baseline:.1f} s")
    print(f"load_scale_data: {command:.1f} s")
    ratio = command / baseline
    print(f"load_scale_data over the store's bulk path: {ratio:.2f}x (aim: at most 2x)")


if __name__ == "__main__":
    main()
