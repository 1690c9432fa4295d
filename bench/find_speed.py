"""Finding on a 100,000-session store: a filtered list page and full-text search, each against
a view that renders the same rows from a Python list without the database, and search against
a LIKE scan of the same lines; the last page of a list against the first; the character's
overview, for its default period and longer ones, against the list's first page. All in one run.

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL and
read with the CONVAI_KEY_ENCRYPTION_KEYS it was filled with:

    .venv/bin/python bench/find_speed.py [--word W] [--phrase "P Q"] [--runs 20]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from _setup import django_on_scratch_database, median_ms, page_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--word", default="asteroid")
    parser.add_argument("--phrase", default="long day")
    parser.add_argument("--filters", default="memory=yes&trigger=yes&sort=newest")
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.shortcuts import render
    from django.test.utils import CaptureQueriesContext

    from convai_dashboard.accounts.models import Preferences
    from convai_dashboard.history.models import ConvaiCharacter, Line
    from convai_dashboard.history.search import matching_line_ids
    from convai_dashboard.history.text import parse_query
    from convai_dashboard.pages import overview as overview_pages
    from convai_dashboard.pages import search as search_pages
    from convai_dashboard.pages import sessions
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    # Pages render as deployed, with WhiteNoise's manifest of hashed static files.
    call_command("collectstatic", "--noinput", verbosity=0)
    user = User.objects.get(username="demo")
    character = ConvaiCharacter.objects.held_by(user, LARGE_CHARACTER_ID)
    lines = Line.objects.filter(character=character).count()

    list_path = f"/characters/{LARGE_CHARACTER_ID}/"

    def ours(query: str) -> Callable[[], object]:
        def view() -> object:
            response = sessions.character_page(
                page_request(user, f"{list_path}?{query}"), LARGE_CHARACTER_ID
            )
            assert response.status_code == 200, response.status_code
            return response

        return view

    # The baseline renders the same page from a context built once: its 50 rows sit in a
    # Python list, so rendering it asks the database nothing (checked below).
    captured = page_request(user, f"{list_path}?{options.filters}")
    captured.resolver_match = None
    context = sessions.list_context(captured, ConvaiCharacter.objects.get(pk=character.pk))
    # The display preferences, read once too: in the context they stand in for the context
    # processor's, which would read them on every render.
    context["preferences"] = Preferences.of(user)

    def baseline() -> object:
        return render(captured, sessions.TEMPLATE, context)

    with CaptureQueriesContext(connection) as queries:
        baseline()
    assert len(queries) == 0, "the baseline view touched the database"
    rows = len(context["page"].sessions)

    def search(query: str) -> Callable[[], object]:
        def view() -> object:
            response = search_pages.search_page(page_request(user, f"/search/?q={query}"))
            assert response.status_code == 200
            return response

        return view

    def overview(period: str) -> Callable[[], object]:
        def view() -> object:
            response = overview_pages.character_overview(
                page_request(user, f"{list_path}overview/?period={period}"), LARGE_CHARACTER_ID
            )
            assert response.status_code == 200, response.status_code
            return response

        return view

    like = "ILIKE" if connection.vendor == "postgresql" else "LIKE"

    def like_scan(text: str) -> Callable[[], object]:
        def scan() -> object:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM history_line WHERE text {like} %s ORDER BY id DESC LIMIT 50",
                    [f"%{text}%"],
                )
                return cursor.fetchall()

        return scan

    def full_like_scan(text: str) -> Callable[[], object]:
        def scan() -> object:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id FROM history_line WHERE text {like} %s", [f"%{text}%"])
                return cursor.fetchall()

        return scan

    def engine(query: str) -> Callable[[], object]:
        terms = parse_query(query)
        return lambda: matching_line_ids(terms, [character.pk], None, 50)

    def hits(text: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM history_line WHERE text {like} %s", [f"%{text}%"])
            return cursor.fetchone()[0]

    runs = options.runs
    word, phrase = options.word, options.phrase
    results = {
        "baseline view (50 rows from a list)": median_ms(baseline, runs),
        f"filtered list ({options.filters})": median_ms(ours(options.filters), runs),
        "unfiltered list, first page": median_ms(ours(""), runs),
        "unfiltered list, last page": median_ms(ours("last=1"), runs),
        "overview, last 30 days (the default)": median_ms(overview("30"), runs),
        "overview, last 365 days": median_ms(overview("365"), runs),
        "overview, all time": median_ms(overview("all"), runs),
        "search view, word": median_ms(search(word), runs),
        "search view, phrase": median_ms(search(f'"{phrase}"'), runs),
        "search query, word": median_ms(engine(word), runs),
        "search query, phrase": median_ms(engine(f'"{phrase}"'), runs),
        "LIKE, first 50, word": median_ms(like_scan(word), runs),
        "LIKE, first 50, phrase": median_ms(like_scan(phrase), runs),
        "LIKE, every match, word": median_ms(full_like_scan(word), max(3, runs // 4)),
        "LIKE, every match, phrase": median_ms(full_like_scan(phrase), max(3, runs // 4)),
    }
    base = results["baseline view (50 rows from a list)"]
    print(f"database: {database.split(':')[0]}; {character.session_count} sessions, {lines} lines")
    print(
        f"filter rows shown: {rows}; word '{word}' in {hits(word)} lines; "
        f"phrase '{phrase}' in {hits(phrase)} lines"
    )
    for name, ms in results.items():
        print(f"  {name}: {ms:.1f} ms")
    filtered = results[f"filtered list ({options.filters})"]
    print(f"filtered list / baseline view: {filtered / base:.2f}x (aim: at most 2x)")
    for kind in ("word", "phrase"):
        query = results[f"search query, {kind}"]
        print(
            f"search {kind}: {results[f'LIKE, first 50, {kind}'] / query:.0f}x faster than LIKE "
            f"for the same first 50, {results[f'LIKE, every match, {kind}'] / query:.0f}x than a "
            f"LIKE scan of every line (aim: at least 20x); the search view is "
            f"{results[f'search view, {kind}'] / base:.2f}x the baseline view (aim: at most 3x)"
        )
    last, first = results["unfiltered list, last page"], results["unfiltered list, first page"]
    print(f"last page / first page: {last / first:.2f}x (aim: at most 2x)")
    print(
        "overview / unfiltered list first page (aim: at most 3x): "
        + ", ".join(
            f"{results[f'overview, {period}'] / first:.2f}x {period}"
            for period in ("last 30 days (the default)", "last 365 days", "all time")
        )
    )


if __name__ == "__main__":
    main()
