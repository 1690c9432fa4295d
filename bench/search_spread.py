"""Search speed across how common the searched words are: for each query, the engine's query
for the first 50 hits against a LIKE that stops at the same 50, and the whole search page (its
hits, their context and the totals) with the "More results" page after it, in one run. The rare
words are where an index pays; the common ones show that it never costs much; common words that
never meet, in one line or side by side, are where a plan that walks the lines would read them
all (docs/performance.md, "Search").

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL:

    .venv/bin/python bench/search_spread.py [QUERY ...] [--runs 9]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial

from _setup import django_on_scratch_database, median_ms, page_request

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
    "gate delays thirty",  # three common words, no two of them in one line
    "flight gate",  # two common words, together in a tenth of the lines
    '"gate closed"',  # two common words in a tenth of the lines, never adjacent
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.http import QueryDict

    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.history.search import matching_line_ids, search_lines
    from convai_dashboard.history.text import parse_query
    from convai_dashboard.pages import search as search_pages

    # Pages render as deployed, with WhiteNoise's manifest of hashed static files.
    call_command("collectstatic", "--noinput", verbosity=0)
    user = User.objects.get(username="demo")
    held = list(ConvaiCharacter.objects.for_user(user).values_list("pk", flat=True))
    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"

    def rows(sql: str, param: str) -> list[tuple[int, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [param])
            return cursor.fetchall()

    def page(query: str, before: int | None = None) -> Callable[[], object]:
        params = QueryDict(mutable=True)
        params["q"] = query
        if before is not None:
            params["before"] = str(before)

        def view() -> object:
            response = search_pages.search_page(
                page_request(user, f"/search/?{params.urlencode()}")
            )
            assert response.status_code == 200, response.status_code
            return response

        return view

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
        first = search_lines(user, query)
        shown = median_ms(page(query), options.runs)
        total = f"{first.total_lines:,}{'+' if first.capped else ''}"
        print(
            f"  {query}: first term in {lines:,} lines, {found} hits; search {search:.1f} ms, "
            f"LIKE first 50 {scan:.1f} ms ({scan / search:.1f}x); page {shown:.1f} ms "
            f"({total} hits counted)",
            end="",
        )
        if first.next_before is not None:
            following = median_ms(page(query, first.next_before), options.runs)
            print(f", next page {following:.1f} ms")
        else:
            print()


if __name__ == "__main__":
    main()
