"""Finding on a 100,000-session store: a filtered list page and full-text search, each against
a view that renders the same rows from a Python list without the database or the cache (a bare
render), the list both as served again (from its caches) and on a first visit (every cache
off), and search against a LIKE scan of the same lines; the last page of a list against the
first; the character's overview, for its default period and longer ones, after a store write
and from its cache, against the list's first page on a first visit; the "Next" and "Previous"
pages and a transcript's neighbours deep in the list (row 99,900, or 100 rows from the end of
a filtered list) against the same at row 50, for every sort. All in one run.

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL and
read with the CONVAI_KEY_ENCRYPTION_KEYS it was filled with:

    .venv/bin/python bench/find_speed.py [--word W] [--phrase "P Q"] [--runs 20]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from textwrap import indent
from typing import TYPE_CHECKING, Any

from _setup import django_on_scratch_database, median_ms, median_ratio, page_request

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from convai_dashboard.history.models import ChatSession, ConvaiCharacter

OVERVIEW_PERIODS = {
    "30": "last 30 days (the default)",
    "90": "last 90 days",
    "365": "last 365 days",
    "all": "all time",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--word", default="discord")  # in about 1,000 of the store's lines
    parser.add_argument("--phrase", default="without getting caught")
    parser.add_argument("--filters", default="memory=yes&trigger=yes&sort=newest")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--only-deep", action="store_true", help="time only the pages deep in the list"
    )
    parser.add_argument(
        "--plans", action="store_true", help="print the plan of each query deep in the list"
    )
    options = parser.parse_args()
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.shortcuts import render
    from django.test.utils import CaptureQueriesContext, override_settings

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

    # Every cache off: the rows and the filters are rendered each time, not read as rendered,
    # for the bare render and for a first visit.
    uncached = override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    )

    @uncached
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

    def overview(period: str, cold: bool) -> Callable[[], object]:
        def view() -> object:
            if cold:  # as the first visit after the store wrote, which the cache cannot serve
                cache.clear()
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
    print(f"database: {database.split(':')[0]}; {character.session_count} sessions, {lines} lines")
    deep_pages(user, character, list_path, options.filters, runs, plans=options.plans)
    if options.only_deep:
        return
    word, phrase = options.word, options.phrase
    results = {
        "baseline view (50 rows from a list)": median_ms(baseline, runs),
        f"filtered list ({options.filters})": median_ms(ours(options.filters), runs),
        f"filtered list ({options.filters}), first visit": median_ms(
            uncached(ours(options.filters)), runs
        ),
        "unfiltered list, first page": median_ms(ours(""), runs),
        "unfiltered list, first page, first visit": median_ms(uncached(ours("")), runs),
        "unfiltered list, last page": median_ms(ours("last=1"), runs),
        **{
            f"overview, {name}{', cached' if not cold else ''}": median_ms(
                overview(period, cold), runs
            )
            for period, name in OVERVIEW_PERIODS.items()
            for cold in (True, False)
        },
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
    print(
        f"filter rows shown: {rows}; word '{word}' in {hits(word)} lines; "
        f"phrase '{phrase}' in {hits(phrase)} lines"
    )
    for name, ms in results.items():
        print(f"  {name}: {ms:.1f} ms")
    filtered = results[f"filtered list ({options.filters})"]
    print(f"filtered list / baseline view: {filtered / base:.2f}x (aim: at most 2x)")
    filtered_first = results[f"filtered list ({options.filters}), first visit"]
    print(f"filtered list, first visit / baseline view: {filtered_first / base:.2f}x")
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
    first_visit = results["unfiltered list, first page, first visit"]
    for cached in ("", ", cached"):
        print(
            f"overview{cached or ' after a store write'} / unfiltered list first page, first "
            "visit (aim: at most 3x): "
            + ", ".join(
                f"{results[f'overview, {name}{cached}'] / first_visit:.2f}x {name}"
                for name in OVERVIEW_PERIODS.values()
            )
        )


def deep_pages(
    user: User, character: ConvaiCharacter, list_path: str, filters: str, runs: int, *, plans: bool
) -> None:
    """Keyset pages in the middle and at the end of the list against the same near its top,
    in turn: the page's query alone (listing.page_of), the whole page as the view serves it,
    and a transcript's previous and next sessions (listing.neighbours). A condition that an
    index cannot start at costs most in the middle, where a page of either direction is
    furthest from the end the index read starts at. Aim: at most 1.2x, every sort and filter."""
    others = filters.replace("&sort=newest", "")
    print(f"keyset pages deep in the list / the same at row 50 ({runs} runs; aim: at most 1.2x)")
    ratios: list[tuple[float, str]] = []
    for query in (
        "sort=newest",
        "sort=oldest",
        "sort=longest",
        f"{others}&sort=newest",
        f"{others}&sort=oldest",
        f"{others}&sort=longest",
        "status=unreviewed&sort=newest",
        "min_interactions=10&sort=newest",
    ):
        ratios.extend(deep_page(user, character, f"{list_path}?{query}", runs, plans=plans))
    ratio, where = max(ratios)
    print(f"keyset, deep / row 50 at its worst: {ratio:.2f}x, {where} (aim: at most 1.2x)")


def deep_page(
    user: User, character: ConvaiCharacter, path: str, runs: int, *, plans: bool
) -> list[tuple[float, str]]:
    """Prints the ratios of one list, and returns them with what each measured."""
    from django.conf import settings
    from django.http import QueryDict

    from convai_dashboard.history import listing
    from convai_dashboard.pages import sessions
    from convai_dashboard.pages.list_forms import SessionListForm
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    query = path.partition("?")[2]
    form = SessionListForm(QueryDict(query), tags=character.tags.all())
    assert form.is_valid(), form.errors
    sort = form.cleaned_data["sort"]
    matching = character.sessions.matching(form.cleaned_data).only(*sessions.LIST_FIELDS)
    field, forward = sort.field, sort.order
    count = matching.count()
    ordered = matching.order_by(*forward)
    near = ordered[49]
    # The middle, and row 99,900 of the whole list (100 rows from the end of a filtered one).
    rows = {count // 2: ordered[count // 2 - 1], count - 100: ordered[count - 101]}

    def page(row: ChatSession, link: str) -> Callable[[], object]:
        key = (getattr(row, field), row.session_id)
        after, before = (key, None) if link == "after" else (None, key)
        return lambda: listing.page_of(
            matching, sort, after=after, before=before, size=settings.SESSIONS_PER_PAGE
        )

    def view(row: ChatSession, link: str) -> Callable[[], object]:
        request_path = f"{path}&{link}={listing.encode_cursor(row, sort)}"

        def serve() -> object:
            response = sessions.character_page(page_request(user, request_path), LARGE_CHARACTER_ID)
            assert response.status_code == 200, response.status_code
            return response

        return serve

    def neighbours(row: ChatSession) -> Callable[[], object]:
        return lambda: listing.neighbours(matching, sort, row)

    ratios = []
    for number, row in rows.items():
        where = f"{query}, row {number:,} of {count:,}"
        for direction, link in (("next", "after"), ("previous", "before")):
            _, near_ms, ratio = median_ratio(page(row, link), page(near, link), runs)
            _, near_view, view_ratio = median_ratio(view(row, link), view(near, link), runs)
            ratios += [(ratio, f"{where}, {direction}"), (view_ratio, f"{where}, {direction} page")]
            print(
                f"  {where}, {direction} page: query {ratio * near_ms:.2f} ms against "
                f"{near_ms:.2f} ms at row 50, {ratio:.2f}x; page {view_ratio:.2f}x "
                f"({near_view:.1f} ms at row 50)"
            )
            if plans:
                print(indent(plan_of(page(row, link)), "      "))
        _, _, ratio = median_ratio(neighbours(row), neighbours(near), runs)
        ratios.append((ratio, f"{where}, neighbours"))
        print(f"  {where}, a transcript's neighbours: {ratio:.2f}x")
    return ratios


def plan_of(action: Callable[[], object]) -> str:
    """The plan of the first query `action` makes, as the database ran it."""
    from django.db import connection

    made: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        made.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        action()
    sql, params = made[0]
    explain = (
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        # SQLite answers (id, parent, notused, detail) a step; PostgreSQL a line of text.
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


if __name__ == "__main__":
    main()
