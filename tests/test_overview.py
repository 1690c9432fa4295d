"""A character's overview: the numbers of a period of its history, through the page, on
whichever engine the suite runs on; the period in the URL; the charts and their tables; who may
see it; and a fixed number of queries whatever the size of the history."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from convai_dashboard.accounts.models import CharacterAccess
from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.convai.records import SessionSummary, Turn
from convai_dashboard.history import store
from convai_dashboard.history.models import ConvaiCharacter, ReviewStatus, SyncRun, SyncStatus
from convai_dashboard.pages.charts import COLUMN_HEIGHT, axis_step, column_chart, percent
from convai_dashboard.review.actions import set_status
from convai_dashboard.review.models import FlagStatus
from convai_dashboard.sandbox import SHRINE_KEEPER_ID
from tests.factories import make_character, make_flag, make_interaction, make_session

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEWEST = datetime(2026, 10, 10, 21, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(owner):
    """A character whose sessions differ in every way the overview counts, the newest on
    2026-10-10, with sessions on both sides of the 7-day period's first midnight."""
    character = make_character(owner, name="Brunhild", sessions_refreshed_at=NEWEST)

    def session(session_id: str, started_at: datetime, count: int | None, **kwargs):
        if count is not None:  # None: the transcript is not stored
            kwargs.update(interaction_count=count, transcript_fetched_at=NEWEST)
            kwargs.setdefault("has_trigger", False)
        return make_session(character, session_id=session_id, started_at=started_at, **kwargs)

    session("s1", NEWEST, 3, in_memory=True, has_trigger=True, review_status="approved")
    session("s2", at(10, 9, 15), 12, review_status=ReviewStatus.NEEDS_CHANGES)
    session("s3", at(8, 21, 5), 0)  # stored, and Convai had no interactions for it
    session("s4", at(8, 23, 59), None, in_memory=True)
    session("s5", at(4, 0), 1, review_status=ReviewStatus.IN_REVIEW)  # the period's first moment
    session("s6", at(3, 23, 59) + timedelta(seconds=59.999), 60, has_trigger=True)
    session("s7", at(1, 12, month=8), 6)
    session("s8", at(1, 12, month=6, year=2025), 25)
    # Another character's session on the same day counts for nobody here.
    other = make_character(owner, character_id=SHRINE_KEEPER_ID, name="Shrine keeper")
    make_session(other, session_id="elsewhere", started_at=NEWEST, in_memory=True)
    return character


def url(character, query: str = "") -> str:
    return f"/characters/{character.character_id}/overview/{query}"


def cells(page: str, header: str) -> list[str]:
    """The cells of the table row headed `header`, as text."""
    row = re.search(rf'<tr><th scope="row">{re.escape(header)}</th>(.*?)</tr>', page)
    assert row is not None, header
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", row.group(1))]


def shown(owner_client, character, query: str = ""):
    response = owner_client.get(url(character, query))
    assert response.status_code == 200
    return response.context["overview"], response.content.decode()


def test_it_counts_the_last_seven_days_up_to_the_newest_session(owner_client, history):
    overview, _ = shown(owner_client, history, "?period=7")
    assert (overview.first_day, overview.last_day) == (date(2026, 10, 4), date(2026, 10, 10))
    assert overview.sessions == 5
    assert overview.per_day == [
        (date(2026, 10, 4), 1),
        (date(2026, 10, 5), 0),
        (date(2026, 10, 6), 0),
        (date(2026, 10, 7), 0),
        (date(2026, 10, 8), 2),
        (date(2026, 10, 9), 0),
        (date(2026, 10, 10), 2),
    ]
    assert {hour: n for hour, n in enumerate(overview.per_hour) if n} == {0: 1, 9: 1, 21: 2, 23: 1}
    assert (overview.stored, overview.in_memory, overview.with_trigger) == (4, 2, 1)
    assert [(bucket.low, bucket.high, bucket.sessions) for bucket in overview.lengths] == [
        (0, 0, 1),
        (1, 1, 1),
        (2, 2, 0),
        (3, 5, 1),
        (6, 10, 0),
        (11, 20, 1),
        (21, 50, 0),
        (51, None, 0),
    ]
    labels = [bucket.label for bucket in overview.lengths]
    assert labels[:4] == ["0", "1", "2", "3\N{EN DASH}5"] and labels[-1] == "51+"
    assert dict(overview.statuses) == {
        ReviewStatus.UNREVIEWED: 2,
        ReviewStatus.IN_REVIEW: 1,
        ReviewStatus.APPROVED: 1,
        ReviewStatus.NEEDS_CHANGES: 1,
    }


@pytest.mark.parametrize(
    ("period", "first_day", "sessions", "longest", "triggers"),
    [
        ("7", date(2026, 10, 4), 5, 0, 1),
        # The default; a session a millisecond before the 7-day period's first midnight.
        ("", date(2026, 9, 11), 6, 1, 2),
        ("30", date(2026, 9, 11), 6, 1, 2),
        ("90", date(2026, 7, 13), 7, 1, 2),
        ("365", date(2025, 10, 11), 7, 1, 2),
        ("all", date(2025, 6, 1), 8, 1, 2),
    ],
)
def test_the_period_is_whole_utc_days_named_in_the_url(
    owner_client, history, period, first_day, sessions, longest, triggers
):
    overview, page = shown(owner_client, history, f"?period={period}")
    assert overview.first_day == first_day and overview.last_day == date(2026, 10, 10)
    assert len(overview.per_day) == (overview.last_day - first_day).days + 1
    assert sum(n for _, n in overview.per_day) == overview.sessions == sessions
    assert sum(overview.per_hour) == sum(n for _, n in overview.statuses) == sessions
    assert overview.lengths[-1].sessions == longest
    assert overview.with_trigger == triggers
    assert f"{first_day:%Y-%m-%d}</time> to <time" in page


def test_shares_and_review_progress_are_shown_with_their_numbers(owner_client, owner, history):
    s1 = history.sessions.get(session_id="s1")
    make_interaction(s1, ("User", "Hello"), ("Character", "Greetings, traveller."))
    line = s1.lines.get(speaker="Character")
    make_flag(line, owner)
    make_flag(line, owner, status=FlagStatus.APPROVED)
    _, page = shown(owner_client, history, "?period=7")
    text = re.sub(r"\s+", " ", page)
    assert "40% of the sessions were added to long-term memory" in text
    assert "25% of the stored transcripts have trigger inputs" in text
    assert cells(page, "In long-term memory") == ["2", "5", "40%"]
    assert cells(page, "Transcript stored") == ["4", "5", "80%"]
    assert cells(page, "With trigger inputs") == ["1", "4", "25%"]
    assert cells(page, "Unreviewed") == ["2", "5", "40%"]
    assert cells(page, "In review") == ["1", "5", "20%"]
    assert cells(page, "Approved") == ["1", "5", "20%"]
    assert cells(page, "Needs changes") == ["1", "5", "20%"]
    backlog = f"/characters/{history.character_id}/flags/?status=open"
    assert f'<a href="{backlog}">1 open flag</a>' in text


def test_every_chart_is_an_svg_image_followed_by_a_table_of_its_numbers(owner_client, history):
    _, page = shown(owner_client, history, "?period=7")
    charts = re.findall(r'<svg class="chart"[^>]*role="img" aria-labelledby="([^"]+)"', page)
    assert charts == [
        "days-heading days-summary",
        "hours-heading hours-summary",
        "lengths-heading lengths-summary",
        "shares-heading shares-summary",
        "review-heading review-summary",
    ]
    for labelledby in charts:
        for element_id in labelledby.split():
            assert f'id="{element_id}"' in page
    assert page.count("<table") == 5
    assert cells(page, "2026-10-08") == ["2"] and cells(page, "2026-10-09") == ["0"]
    assert cells(page, "21:00") == ["2"] and cells(page, "22:00") == ["0"]
    assert cells(page, "11\N{EN DASH}20") == ["1"] and cells(page, "2") == ["0"]
    assert "<title>2026-10-08: 2 sessions</title>" in page
    # The strict CSP allows no inline style: colours come from the stylesheet's classes.
    assert "style=" not in page and "fill=" not in page


def test_a_bucket_links_to_the_list_of_the_sessions_it_counts(owner_client, history):
    _, page = shown(owner_client, history, "?period=30")
    link = re.search(r'<th scope="row">51\+</th><td><a href="([^"]+)">1</a>', page)
    assert link is not None
    listed = owner_client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(r"<strong>1</strong> of 8 sessions match", listed)
    assert "/sessions/s6/" in listed


@pytest.mark.parametrize("period", ["14", "week", "ALL", "30days"])
def test_a_period_that_is_not_offered_is_a_400_with_a_message(owner_client, history, period):
    response = owner_client.get(url(history, f"?period={period}"))
    assert response.status_code == 400
    page = response.content.decode()
    assert f"There is no period “{period}”" in page
    assert '<svg class="chart"' not in page


def test_htmx_gets_the_overview_alone_and_the_period_links_keep_the_url(owner_client, history):
    response = owner_client.get(url(history, "?period=90"), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="overview"') and "<html" not in page
    assert "HX-Request" in response["Vary"]
    path = url(history)
    assert f'<a href="{path}?period=90" data-hx-get="{path}?period=90" aria-current="true">' in page
    assert 'hx-push-url="true"' in page


def test_a_character_without_stored_sessions_says_so(owner_client, owner):
    character = make_character(owner, name="Newcomer")
    response = owner_client.get(url(character))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No sessions stored for this character yet." in page
    assert "<svg" not in page


def test_lengths_and_triggers_wait_for_stored_transcripts(owner_client, owner):
    character = make_character(owner, name="Unsynced")
    make_session(character, session_id="listed-only", started_at=NEWEST, in_memory=True)
    overview, page = shown(owner_client, character)
    assert (overview.sessions, overview.stored, overview.in_memory) == (1, 0, 1)
    assert "No transcript of this period is stored yet" in page
    assert "trigger inputs are known once transcripts are stored" in page
    assert page.count('<svg class="chart"') == 4


def test_it_shows_the_last_sync(owner_client, owner, history):
    SyncRun.objects.create(
        character=history,
        requested_by=owner,
        status=SyncStatus.DONE,
        started_at=timezone.now() - timedelta(minutes=3),
        finished_at=timezone.now() - timedelta(minutes=1),
        new_sessions=4,
        transcripts_fetched=7,
    )
    _, page = shown(owner_client, history)
    assert "<strong>done</strong> in 2 min, started by owner" in page
    assert "4 new sessions · 7 transcripts fetched · 0 failures" in page


def test_it_says_when_there_was_never_a_sync(owner_client, history):
    _, page = shown(owner_client, history)
    assert "Never synced" in page


def test_the_character_page_links_to_its_overview(owner_client, history):
    page = owner_client.get(f"/characters/{history.character_id}/").content.decode()
    assert f'<a href="{url(history)}">Overview</a>' in page


def test_an_outsider_gets_a_404(outsider_client, history):
    for headers in ({}, HTMX):
        assert outsider_client.get(url(history), **headers).status_code == 404


def test_a_holder_whose_access_is_suspended_gets_a_404(owner_client, owner, history):
    CharacterAccess.objects.for_user(owner).update(suspended_at=timezone.now())
    assert owner_client.get(url(history)).status_code == 404


@pytest.mark.parametrize("period", ["7", "all"])
def test_the_queries_are_as_few_for_a_long_history_as_for_a_short_one(
    owner_client, owner, history, django_assert_max_num_queries, period
):
    # Two for the signed-in user, one for their display preferences, two for their access
    # and the character, the newest session (and the oldest, for all time), one for each of
    # days, hours, everything else and review statuses, then open flags, the last sync, and
    # the header's count of sessions waiting in the reader's review queues.
    most = 14 if period == "all" else 13
    with django_assert_max_num_queries(most):
        shown(owner_client, history, f"?period={period}")
    for n in range(400):
        make_session(
            history,
            session_id=f"many-{n}",
            started_at=NEWEST - timedelta(hours=7 * n),
            interaction_count=n % 70,
            transcript_fetched_at=NEWEST,
        )
    stored_by_the_store(history)
    with django_assert_max_num_queries(most):
        overview, _ = shown(owner_client, history, f"?period={period}")
    assert overview.sessions > 400 if period == "all" else overview.sessions > 20


def test_the_y_axis_rises_in_round_steps_to_just_above_the_highest_column():
    assert [axis_step(n) for n in (0, 1, 5, 6, 12, 308, 2007)] == [1, 1, 1, 2, 5, 100, 500]
    chart = column_chart([("a", 0), ("b", 308), ("c", 150)])
    assert [tick.value for tick in chart.ticks] == [0, 100, 200, 300, 400]
    a, b, c = chart.columns
    assert a.height == 0 and b.height == round(COLUMN_HEIGHT * 308 / 400, 2)
    assert b.y + b.height == c.y + c.height == chart.baseline
    assert chart.busiest is b


def test_a_long_period_names_the_newest_day_and_at_most_seven():
    chart = column_chart([(f"day {n}", n) for n in range(548)])
    named = [column.label for column in chart.columns if column.show_label]
    assert len(named) <= 7 and named[-1] == "day 547"
    # Columns narrower than a few units are drawn edge to edge.
    assert chart.columns[1].x == pytest.approx(chart.columns[0].x + chart.columns[0].width)


@pytest.mark.parametrize(
    ("part", "whole", "shown_as"),
    [(0, 5, "0%"), (1, 1000, "<1%"), (2, 5, "40%"), (999, 1000, ">99%"), (5, 5, "100%")],
)
def test_a_share_never_rounds_to_none_or_to_all(part, whole, shown_as):
    assert percent(part, whole) == shown_as


def stored_by_the_store(character):
    """What the store does with every write, for sessions the factories made."""
    ConvaiCharacter.objects.filter(pk=character.pk).update(stored_version=F("stored_version") + 1)


def test_the_counts_are_kept_until_the_store_writes_again(owner_client, history):
    before, _ = shown(owner_client, history, "?period=7")
    # Made behind the store's back: the cached counts do not see it...
    make_session(history, session_id="unseen", started_at=NEWEST, in_memory=True)
    again, _ = shown(owner_client, history, "?period=7")
    assert (again.sessions, again.in_memory) == (before.sessions, before.in_memory) == (5, 2)
    # ...until the store writes anything for the character.
    stored_by_the_store(history)
    after, _ = shown(owner_client, history, "?period=7")
    assert (after.sessions, after.in_memory) == (6, 3)


def test_a_list_refresh_that_stores_new_sessions_shows_at_once(owner_client, history):
    assert shown(owner_client, history, "?period=7")[0].sessions == 5
    new = SessionSummary(session_id="fresh", started_at=NEWEST, in_memory=True)
    store.store_session_list(history, [new])
    overview, _ = shown(owner_client, history, "?period=7")
    assert (overview.sessions, overview.in_memory, overview.stored) == (6, 3, 4)


def test_a_stored_transcript_shows_at_once(owner_client, history):
    before, _ = shown(owner_client, history, "?period=7")
    unstored = history.sessions.get(session_id="s4")
    said = [Turn("User", "Open the gate."), Turn("Character", "Not tonight.")]
    store.store_transcript(
        unstored, [InteractionRecord(at(8, 23, 59), tuple(said), is_trigger_input=True)]
    )
    after, _ = shown(owner_client, history, "?period=7")
    assert (after.stored, after.with_trigger) == (before.stored + 1, before.with_trigger + 1)
    assert after.lengths[1].sessions == before.lengths[1].sessions + 1  # one interaction


def test_a_review_action_shows_at_once_without_a_store_write(owner_client, owner, history):
    shown(owner_client, history, "?period=7")
    version = ConvaiCharacter.objects.get(pk=history.pk).stored_version
    set_status(history.sessions.get(session_id="s3"), owner, ReviewStatus.APPROVED)
    overview, _ = shown(owner_client, history, "?period=7")
    assert dict(overview.statuses)[ReviewStatus.APPROVED] == 2
    assert ConvaiCharacter.objects.get(pk=history.pk).stored_version == version
