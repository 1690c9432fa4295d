"""Full-sync wall time against the way Convai's sample code reads history: serially, one new
connection per call. Both runs read the same sandbox character in the same run of this script.

    .venv/bin/python bench/sync_speed.py [--sessions 2000] [--latency-ms 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import time

from _setup import django_on_scratch_database, hold, sandbox_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--no-baseline", action="store_true", help="measure only the sync, against the floor"
    )
    options = parser.parse_args()
    database = django_on_scratch_database()

    from convai_dashboard.convai.configured import client_for
    from convai_dashboard.history import sync
    from convai_dashboard.history.models import SyncStatus
    from convai_dashboard.sandbox import DEMO_KEY, LARGE_CHARACTER_ID

    with sandbox_process(
        "--latency-ms", str(options.latency_ms), "--large-sessions", str(options.sessions)
    ) as url:
        # Baseline: list, then one fresh client (so one fresh connection) per transcript.
        start = time.perf_counter()
        with client_for(DEMO_KEY, base_url=url) as client:
            listed = client.list_sessions(LARGE_CHARACTER_ID)
        for summary in [] if options.no_baseline else listed:
            with client_for(DEMO_KEY, base_url=url) as client:
                client.get_transcript(LARGE_CHARACTER_ID, summary.session_id)
        baseline = time.perf_counter() - start

        _, character = hold(LARGE_CHARACTER_ID)
        run, _ = sync.claim(character)
        start = time.perf_counter()
        run = sync.run(run, concurrency=options.concurrency, base_url=url)
        ours = time.perf_counter() - start

    calls = 1 + len(listed)
    floor = calls * options.latency_ms / 1000 / options.concurrency
    assert run.status == SyncStatus.DONE and run.transcripts_fetched == len(listed), run.stop_reason
    print(f"database: {database.split(':')[0]}")
    print(f"sessions: {len(listed)}, latency {options.latency_ms} ms, calls {calls}")
    print(f"baseline (serial, new connection per call, fetch only): {baseline:.2f} s")
    print(f"sync at concurrency {options.concurrency} (fetch and store): {ours:.2f} s")
    print(f"floor (calls x latency / concurrency): {floor:.2f} s")
    if not options.no_baseline:
        print(f"speed-up over baseline: {baseline / ours:.1f}x (aim: at least 6x)")
    print(f"time over floor: {ours / floor:.2f}x (aim: at most 1.3x)")


if __name__ == "__main__":
    main()
