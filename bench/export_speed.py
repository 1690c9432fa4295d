"""Streaming the session list as CSV (issue: Review), against two baselines in the same run:
a plain export of the same rows (one query of each kind for the whole list, every row written
by a plain `csv.writer` to an in-memory sink: what streaming replaces), and the floor of
`csv.writer` alone over the same rows, already built in memory, which reads no database at
all. Also the process's peak memory while the export streams.

Needs a store filled by `manage.py load_scale_data` (user "demo"), named by DATABASE_URL:

    .venv/bin/python bench/export_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
from collections import defaultdict

from _setup import django_on_scratch_database, median_ms, peak_mb

HOST = "dashboard.studio.internal"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    # The host the links are made for, as a deployment names its own.
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", HOST)
    database = django_on_scratch_database()

    from django.contrib.auth.models import User
    from django.db.models import Count, Q
    from django.test import RequestFactory

    from convai_dashboard.history.listing import Sort
    from convai_dashboard.history.models import ConvaiCharacter
    from convai_dashboard.pages.exports import SessionLinks
    from convai_dashboard.review.exports import csv_rows
    from convai_dashboard.review.exports.common import cell
    from convai_dashboard.review.models import Flag, FlagStatus, SessionTag
    from convai_dashboard.sandbox import LARGE_CHARACTER_ID

    user = User.objects.get(username="demo")
    character = ConvaiCharacter.objects.held_by(user, LARGE_CHARACTER_ID)
    sessions = character.sessions.all()
    # Links as the view makes them.
    link = SessionLinks(RequestFactory().get("/", HTTP_HOST=HOST))  # type: ignore[arg-type]

    def streamed() -> int:
        # Encoded and dropped piece by piece, as a streaming response sends it.
        pieces = csv_rows.sessions_csv(character, sessions, Sort.NEWEST, link)
        return sum(len(piece.encode()) for piece in pieces)

    def plain() -> int:
        counts = {
            session: (total, unresolved)
            for session, total, unresolved in Flag.objects.filter(character=character)
            .order_by()
            .values_list("session_id")
            .annotate(total=Count("pk"), open=Count("pk", filter=Q(status=FlagStatus.OPEN)))
        }
        tags = defaultdict(list)
        for session, name in (
            SessionTag.objects.filter(tag__character=character)
            .order_by("tag__name")
            .values_list("session_id", "tag__name")
        ):
            tags[session].append(name)
        rows = sessions.order_by("-started_at", "-session_id").values_list(
            "pk",
            "session_id",
            "started_at",
            "in_memory",
            "interaction_count",
            "transcript_fetched_at",
            "review_status",
        )
        sink = io.StringIO()
        writer = csv.writer(sink)
        writer.writerow(csv_rows.SESSION_COLUMNS)
        for pk, session_id, started_at, in_memory, count, fetched, status in rows:
            writer.writerow(
                [
                    cell(session_id),
                    started_at.isoformat(" ", "seconds")[:19],
                    "yes" if in_memory else "no",
                    count if fetched else "",
                    *counts.get(pk, (0, 0)),
                    status,
                    cell("; ".join(tags.get(pk, ()))),
                    link(character.character_id, session_id),
                ]
            )
        return len(sink.getvalue().encode())

    before = peak_mb()
    size = streamed()
    streaming = median_ms(streamed, options.runs, warm_up=0) / 1000
    # Read before the baselines hold every row in memory, which raises the peak.
    streaming_peak = peak_mb()

    assert plain() == size, "the plain export wrote other rows"
    whole = median_ms(plain, options.runs, warm_up=0) / 1000

    built = [
        row
        for chunk in csv_rows.session_rows(character, sessions, Sort.NEWEST, link)
        for row in chunk
    ]

    def writer_alone() -> int:
        sink = io.StringIO()
        writer = csv.writer(sink)
        writer.writerow(csv_rows.SESSION_COLUMNS)
        writer.writerows(built)
        return len(sink.getvalue().encode())

    assert writer_alone() == size, "csv.writer alone wrote other rows"
    floor = median_ms(writer_alone, options.runs, warm_up=0) / 1000

    print(
        f"database: {database.split(':')[0]}; {len(built):,} sessions, "
        f"{size / 1e6:.1f} MB of CSV; median of {options.runs} runs"
    )
    print(f"  plain export, the whole list at once: {whole:.3f} s")
    print(f"  csv.writer alone, rows already built: {floor:.3f} s")
    print(f"  streamed export: {streaming:.3f} s")
    print(f"streamed export / plain export: {streaming / whole:.2f}x (aim: at most 2x)")
    print(f"streamed export / csv.writer alone: {streaming / floor:.2f}x (no aim: no database)")
    print(
        f"peak memory while streaming: {streaming_peak:.0f} MB (aim: under 150 MB; "
        f"{before:.0f} MB before the first export)"
    )


if __name__ == "__main__":
    main()
