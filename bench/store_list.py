"""Storing a huge session list: the store's upsert against a raw executemany of the same rows
into the same table of the same database, in the same run; and the process's peak memory.

    .venv/bin/python bench/store_list.py [--sessions 100000]
"""

from __future__ import annotations

import argparse
import resource
import time

from _setup import django_on_scratch_database, hold, sandbox_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.db import connection, transaction
    from django.utils import timezone

    from convai_dashboard.convai.configured import client_for
    from convai_dashboard.history import store
    from convai_dashboard.sandbox import DEMO_KEY, LARGE_CHARACTER_ID

    with sandbox_process("--large-sessions", str(options.sessions)) as url:
        start = time.perf_counter()
        with client_for(DEMO_KEY, base_url=url, read_timeout=120) as client:
            summaries = client.list_sessions(LARGE_CHARACTER_ID)
        fetched = time.perf_counter() - start

    _, raw_target = hold("bench-raw")
    _, ours_target = hold("bench-ours")

    # Baseline: the same rows, already converted to what the database takes, in one executemany.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [
        (
            raw_target.pk,
            s.session_id,
            connection.ops.adapt_datetimefield_value(s.started_at),
            s.in_memory,
            now,
            now,
            True,
            0,
        )
        for s in summaries
    ]
    insert = (
        "INSERT INTO history_chatsession (character_id, session_id, started_at, in_memory, "
        "first_seen_at, listed_at, on_convai, interaction_count) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(insert, rows)
    raw = time.perf_counter() - start
    del rows

    start = time.perf_counter()
    first = store.store_session_list(ours_target, summaries)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    again = store.store_session_list(ours_target, summaries)
    ours_again = time.perf_counter() - start
    assert (first.new, again.new, again.listed) == (len(summaries), 0, len(summaries))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"database: {database.split(':')[0]}")
    print(f"sessions: {len(summaries)} (fetched and parsed in {fetched:.2f} s)")
    print(f"raw executemany insert: {raw:.2f} s")
    print(
        f"store_session_list, first store: {ours:.2f} s = {ours / raw:.2f}x raw (aim: at most 3x)"
    )
    print(
        f"store_session_list, stored again (all upserts): {ours_again:.2f} s "
        f"= {ours_again / raw:.2f}x raw"
    )
    print(f"peak memory of this process: {peak_mb:.0f} MB (aim: under 300 MB)")


if __name__ == "__main__":
    main()
