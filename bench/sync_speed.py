"""Full-sync wall time against two references, each on the same sandbox character in the same
run of this script:
- the way Convai's sample code reads history: serially, one new connection per call;
- fetch only: the list and every transcript fetched and parsed by a client made as the sync
  makes its own, at the same concurrency, and thrown away; once before the sync and once
  after. It is what the sync would take if storing cost nothing, on this machine, with the
  sandbox generating transcripts on the same cores.

    .venv/bin/python bench/sync_speed.py [--sessions 2000] [--latency-ms 50] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import os
import time

from _setup import django_on_scratch_database, every_transcript, hold, sandbox_process


def fetch_only(url: str, concurrency: int) -> tuple[float, float]:
    """Seconds to list the sessions and fetch every transcript at `concurrency` requests in
    flight, storing nothing: the sync's calls, made as the sync makes them. And the CPU
    seconds this process spent on it."""
    from django.conf import settings

    from convai_dashboard.convai.configured import client_for
    from convai_dashboard.sandbox import DEMO_KEY

    # The options the sync gives its client (history.sync._with_a_holders_key).
    with client_for(
        DEMO_KEY,
        base_url=url,
        pool_size=concurrency,
        retries=settings.SYNC_RETRIES,
        max_retry_after=settings.SYNC_MAX_RETRY_AFTER,
    ) as client:
        start, cpu = time.perf_counter(), time.process_time()
        every_transcript(client, concurrency)
        return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="leave out the serial baseline: only fetch-only and the sync",
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

        # Before and after the sync, so a machine speeding up or slowing down weighs on both.
        fetching_before, fetching_cpu = fetch_only(url, options.concurrency)
        _, character = hold(LARGE_CHARACTER_ID)
        run, _ = sync.claim(character)
        start, cpu = time.perf_counter(), time.process_time()
        run = sync.run(run, concurrency=options.concurrency, base_url=url)
        ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
        fetching_after, _ = fetch_only(url, options.concurrency)
    fetching = (fetching_before + fetching_after) / 2

    calls = 1 + len(listed)
    floor = calls * options.latency_ms / 1000 / options.concurrency
    assert run.status == SyncStatus.DONE and run.transcripts_fetched == len(listed), run.stop_reason
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"database: {database.split(':')[0]}; load average (1, 5, 15 min) at the end: {load}")
    print(f"sessions: {len(listed)}, latency {options.latency_ms} ms, calls {calls}")
    if not options.no_baseline:
        print(f"baseline (serial, new connection per call, fetch only): {baseline:.2f} s")
    print(
        f"fetch only at concurrency {options.concurrency} (nothing stored): {fetching:.2f} s "
        f"(mean of {fetching_before:.2f} s before the sync and {fetching_after:.2f} s after)"
    )
    print(f"sync at concurrency {options.concurrency} (fetch and store): {ours:.2f} s")
    # What the sync adds to fetching is CPU on the same 2 cores: under load, each CPU second
    # costs wall time.
    print(f"CPU of this process: fetch only {fetching_cpu:.2f} s, sync {ours_cpu:.2f} s")
    print(f"floor (calls x latency / concurrency): {floor:.2f} s")
    if not options.no_baseline:
        print(f"speed-up over baseline: {baseline / ours:.1f}x (aim: at least 6x)")
    print(f"fetch only over floor: {fetching / floor:.2f}x (the sandbox's and the client's cost)")
    print(f"time over floor: {ours / floor:.2f}x (aim: at most 1.3x)")
    print(f"time over fetch only: {ours / fetching:.2f}x (aim: at most 1.15x)")


if __name__ == "__main__":
    main()
