"""Review on a 100,000-session store, each aim against its baseline in the same run:
- every review action (status, flag, flag edit, tag, note) against the bare transcript
  partial it updates, both through the full Django stack (middleware, CSRF off);
- the session list filtered by status and by tag against a view rendering the same rows
  from a list (bench/find_speed.py's baseline);
- bulk tagging all sessions against a raw executemany of the same rows.

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL. It
writes review data into that store (statuses on 1 in 10 sessions, tags, flags, notes):

    .venv/bin/python bench/review_speed.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import time
from itertools import cycle

from _setup import django_on_scratch_database, median_ratio, page_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.shortcuts import render
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from convai_dashboard.history.models import ChatSession, ConvaiCharacter, Line, ReviewStatus
    from convai_dashboard.pages import sessions as session_pages
    from convai_dashboard.review import actions
    from convai_dashboard.review.models import Activity, Flag, Note, SessionTag, Tag
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    call_command("collectstatic", "--noinput", verbosity=0)
    user = User.objects.get(username="demo")
    character = ConvaiCharacter.objects.held_by(user, LARGE_CHARACTER_ID)
    client = Client()
    client.force_login(user)
    htmx = {"HTTP_HX_REQUEST": "true"}

    # A long conversation, as a reviewer reads it: the longest of the store, near 60 turns.
    session = character.sessions.order_by("-interaction_count").first()
    assert session is not None
    base = f"/characters/{LARGE_CHARACTER_ID}/sessions/{session.session_id}/"
    line = Line.objects.filter(session=session, speaker="Character").order_by("pk")[5]
    # What earlier runs left on it: each times the same transcript, with one run's review.
    for model in (Flag, Note, Activity, SessionTag):
        model.objects.filter(session=session).delete()

    # Review data to filter by: a status on 1 session in 10; tags on 10 sessions, on 1 in
    # 100 and on most.
    Tag.objects.filter(character=character, name__startswith="bench-").delete()  # a rerun
    oldest_ten = list(character.sessions.order_by("started_at").values_list("pk", flat=True)[:10])
    ChatSession.objects.filter(character=character, pk__endswith="7").update(
        review_status=ReviewStatus.NEEDS_CHANGES
    )
    tiny = actions.create_tag(character, user, "bench-tiny", "green")
    rare = actions.create_tag(character, user, "bench-rare", "red")
    common = actions.create_tag(character, user, "bench-common", "blue")
    # The oldest ten: a walk from the newest would cross the whole list to find them.
    actions.tag_sessions(tiny, character.sessions.filter(pk__in=oldest_ten), user)
    actions.tag_sessions(rare, character.sessions.filter(pk__endswith="42"), user)
    actions.tag_sessions(common, character.sessions.filter(in_memory=False), user)

    # secure: as deployed, the server redirects plain HTTP to HTTPS.
    def get(path: str, **headers: str):  # type: ignore[no-untyped-def]
        response = client.get(path, secure=True, **headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    def post(path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
        response = client.post(path, data, secure=True, **htmx)
        assert response.status_code == 200, (path, response.status_code)
        return response

    if connection.vendor == "postgresql":
        # As autovacuum would soon after such changes: the list's count reads the status
        # index alone only once the table's visibility map is set again.
        with connection.cursor() as cursor:
            for table in (ChatSession._meta.db_table, SessionTag._meta.db_table):
                cursor.execute(f"VACUUM ANALYZE {table}")

    statuses = cycle([ReviewStatus.APPROVED, ReviewStatus.NEEDS_CHANGES])
    flag_url = f"{base}lines/{line.pk}/flag/"
    post(flag_url, {"category": "tone", "comment": "first"})
    flag = line.flags.first()
    assert flag is not None
    tags = cycle([rare, common])

    def transcript() -> object:
        return get(base, HTTP_HX_TARGET="transcript", **htmx)

    # Each action against the transcript partial it updates, the two called in turn.
    actions_timed = {
        "status": lambda: post(f"{base}status/", {"status": next(statuses)}),
        "flag a line": lambda: post(
            flag_url, {"category": "tone", "comment": "Flat.", "rewrite": "Better."}
        ),
        "edit a flag": lambda: post(
            f"/characters/{LARGE_CHARACTER_ID}/flags/{flag.pk}/",
            {"status": "approved", "comment": "ok", "rewrite": f"r{time.perf_counter()}"},
        ),
        "tag": lambda: post(f"{base}tags/", {"tag": next(tags).pk}),
        "note": lambda: post(f"{base}notes/", {"text": "Checked."}),
    }
    results = {
        name: median_ratio(action, transcript, options.runs)
        for name, action in actions_timed.items()
    }

    # The list filtered by review data, against the same rows rendered from a list.
    list_path = f"/characters/{LARGE_CHARACTER_ID}/"
    filters = {
        "status filter (1 in 10)": "status=needs_changes",
        "tag filter (10 sessions)": "tag=bench-tiny",
        "tag filter (1 in 100)": "tag=bench-rare",
        "tag filter (most)": "tag=bench-common",
        "status and tag": "status=needs_changes&tag=bench-common",
    }

    def listed(query: str):  # type: ignore[no-untyped-def]
        # As bench/find_speed.py times the list: the view itself, as its baseline is timed.
        response = session_pages.character_page(
            page_request(user, f"{list_path}?{query}"), LARGE_CHARACTER_ID
        )
        assert response.status_code == 200, (query, response.status_code)
        return response

    # The baseline renders the status-filtered page from a context built once: its rows sit
    # in a Python list, so rendering it asks the database nothing (checked below).
    captured = page_request(user, f"{list_path}?status=needs_changes")
    captured.resolver_match = None
    context = session_pages.list_context(captured, character)  # type: ignore[arg-type]
    with CaptureQueriesContext(connection) as queries:
        render(captured, session_pages.TEMPLATE, context)
    assert len(queries) == 0, "the baseline view touched the database"

    def baseline() -> object:
        return render(captured, session_pages.TEMPLATE, context)

    lists = {
        name: median_ratio(lambda query=query: listed(query), baseline, options.runs)
        for name, query in filters.items()
    }

    # Bulk tagging every session, against a raw executemany of the same rows.
    every = Tag.objects.create(character=character, name="bench-every")
    raw_tag = Tag.objects.create(character=character, name="bench-raw")
    ids = list(character.sessions.values_list("pk", flat=True))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(raw_tag.pk, pk, user.pk, now) for pk in ids]
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {SessionTag._meta.db_table} (tag_id, session_id, added_by_id, added_at) "
            "VALUES (%s, %s, %s, %s)",
            rows,
        )
    raw = time.perf_counter() - start
    start = time.perf_counter()
    added = actions.tag_sessions(every, character.sessions.all(), user)
    bulk = time.perf_counter() - start
    assert added == len(ids)

    counts = character.sessions.aggregate(n=Count("pk"))
    print(
        f"database: {database.split(':')[0]}; {counts['n']:,} sessions; "
        f"transcript of {session.interaction_count} interactions; medians of {options.runs} "
        "pairs, each side called in turn"
    )
    for name, (ms, transcript_ms, ratio) in results.items():
        print(
            f"  {name}: {ms:.1f} ms, the transcript partial {transcript_ms:.1f} ms: "
            f"{ratio:.2f}x (aim: at most 2x)"
        )
    for name, (ms, baseline_ms, ratio) in lists.items():
        print(
            f"  list, {name}: {ms:.1f} ms, the baseline view {baseline_ms:.1f} ms: "
            f"{ratio:.2f}x (aim: at most 2x)"
        )
    print(
        f"bulk tagging {added:,} sessions: {bulk:.2f} s; raw executemany of the same rows: "
        f"{raw:.2f} s; {bulk / raw:.2f}x (aim: at most 3x)"
    )


if __name__ == "__main__":
    main()
