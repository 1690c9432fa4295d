"""Ten users hold the same character: one sync serves them all, and the store does not grow
with the number of holders. The same character is synced for one holder, then nine more hold
it and each starts a sync, in the same run of this script.

    .venv/bin/python bench/holders.py [--sessions 2000] [--holders 10]
"""

from __future__ import annotations

import argparse
import time

from _setup import django_on_scratch_database, hold, sandbox_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--holders", type=int, default=10)
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.db import connection

    from convai_dashboard.history import sync
    from convai_dashboard.history.models import ChatSession, Interaction, Line, SyncRun
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    def stored() -> tuple[int, int, int, int]:
        """Rows of history, and the bytes the database holds for them. On PostgreSQL the
        tables are compacted first: every refresh rewrites each listed session (its listing
        time changes), and dead row versions are not history."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for model in (ChatSession, Interaction, Line):
                    cursor.execute(f"VACUUM FULL {model._meta.db_table}")
        if connection.vendor == "sqlite":
            query = "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'history_%'"
        else:
            query = (
                "SELECT sum(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relname LIKE 'history_%' AND relkind = 'r'"
            )
        with connection.cursor() as cursor:
            cursor.execute(query)
            size = cursor.fetchone()[0]
        counts = (ChatSession, Interaction, Line)
        return (*(model.objects.count() for model in counts), int(size))

    with sandbox_process("--large-sessions", str(options.sessions)) as url:
        first, character = hold(LARGE_CHARACTER_ID, "holder-0")
        run, _ = sync.claim(character, first)
        start = time.perf_counter()
        sync.run(run, base_url=url)
        one_sync = time.perf_counter() - start
        alone = stored()

        # Nine more hold it, and each asks for a sync: what they get is the history as stored.
        start = time.perf_counter()
        for n in range(1, options.holders):
            user, same = hold(LARGE_CHARACTER_ID, f"holder-{n}")
            assert same.pk == character.pk
            more, _ = sync.claim(same, user)
            sync.run(more, base_url=url)
        later_syncs = time.perf_counter() - start
        together = stored()

    runs = SyncRun.objects.filter(character=character)
    fetched = sum(runs.values_list("transcripts_fetched", flat=True))
    print(
        f"database: {database.split(':')[0]}; "
        f"{options.sessions} sessions, {options.holders} holders"
    )
    print(
        f"first holder's sync: {one_sync:.2f} s; the other holders' syncs together: "
        f"{later_syncs:.2f} s"
    )
    print(
        f"transcripts fetched by all {runs.count()} runs: {fetched} "
        f"(one history: {options.sessions})"
    )
    print(
        f"rows (sessions, interactions, lines) with 1 holder: {alone[:3]}; "
        f"with {options.holders}: {together[:3]}"
    )
    print(
        f"history storage with {options.holders} holders / with 1: "
        f"{together[3] / alone[3]:.2f}x (aim: 1.00x, not {options.holders}x)"
    )


if __name__ == "__main__":
    main()
