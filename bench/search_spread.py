"""Search speed across how common the searched words are: for each query, the engine's query
for the first 50 hits against a LIKE that stops at the same 50, in one run. The rare words are
where an index pays; the common ones show that it never costs much; two common words that
rarely meet are the known worst case on PostgreSQL (docs/performance.md).

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL:

    .venv/bin/python bench/search_spread.py [QUERY ...] [--runs 9]
"""

from __future__ import annotations

import argparse
from functools import partial

from _setup import django_on_scratch_database, median_ms

QUERIES = [
    "gate",  # in about a quarter of the lines
    "help",
    "orbital",
    "um",
    "hablas",
    "discord",  # in about one line of 1,300
    '"without getting caught"',
    '"thirty minutes"',
    "orbit*",
    "zzzz",  # in none
    "gate help",  # two common words, never in one line
    '"gate closed"',  # two common words, never adjacent
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.db import connection

    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.history.search import matching_line_ids
    from convai_dashboard.history.text import parse_query

    held = list(
        ConvaiCharacter.objects.for_user(User.objects.get(username="demo")).values_list(
            "pk", flat=True
        )
    )
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"

    def rows(sql: str, param: str) -> list[tuple[int, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [param])
            return cursor.fetchall()

    print(f"database: {database.split(':')[0]}")
    for query in options.queries:
        terms = parse_query(query)
        # The LIKE asks for the text of the first term only: the same question for a word or
        # a phrase, a looser one for several words.
        pattern = "%" + " ".join(terms[0].words) + "%"
        first_50 = f"SELECT id FROM history_line WHERE text {like} %s ORDER BY id DESC LIMIT 50"
        found = len(matching_line_ids(terms, held, None, 50))
        search = median_ms(partial(matching_line_ids, terms, held, None, 51), options.runs)
        scan = median_ms(partial(rows, first_50, pattern), options.runs)
        lines = rows(f"SELECT count(*) FROM history_line WHERE text {like} %s", pattern)[0][0]
        print(
            f"  {query}: first term in {lines:,} lines, {found} hits; search {search:.1f} ms, "
            f"LIKE first 50 {scan:.1f} ms ({scan / search:.1f}x)"
        )


if __name__ == "__main__":
    main()
