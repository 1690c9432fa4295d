"""Input no page can serve is a 400 that says why, never a 500: dates at the calendar's end,
numbers longer than a column, cursors that overflow, on SQLite and on PostgreSQL."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from tests.factories import make_character, make_flag, make_interaction, make_session

pytestmark = pytest.mark.django_db

HUGE = "9" * 20  # more than any 8-byte integer holds


@pytest.fixture
def held(owner):
    character = make_character(owner, sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(character, session_id="s-1", transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", "Who are you?"), ("Character", "Nobody you know."))
    make_flag(session.lines.get(position=1), owner)
    return character


def bad_request(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 400, f"{url} answered {response.status_code}"
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start_to=9999-12-31", "Enter a date from 2000-01-01 to 2999-12-31."),
        ("start_from=0001-01-01", "Enter a date from 2000-01-01 to 2999-12-31."),
        (f"min_interactions={HUGE}", "less than or equal to 2147483647"),
        (f"max_interactions={HUGE}", "less than or equal to 2147483647"),
        (f"sort=longest&after={HUGE}~s-1", "page link is not valid"),
        (f"sort=longest&before={HUGE}~s-1", "page link is not valid"),
        ("sort=longest&after=-1~s-1", "page link is not valid"),
    ],
)
def test_the_session_list_refuses_dates_and_numbers_out_of_range(owner_client, held, query, words):
    page = bad_request(owner_client, f"/characters/{held.character_id}/?{query}")
    assert words in page
    assert "s-1" in page, "the list is still shown"


def test_the_widest_range_a_filter_takes_still_finds_sessions(owner_client, held):
    url = f"/characters/{held.character_id}/?start_from=2000-01-01&start_to=2999-12-31"
    response = owner_client.get(url)
    assert response.status_code == 200
    assert "<strong>1</strong> of 1 session" in response.content.decode()


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01"])
def test_the_backlog_refuses_dates_out_of_range(owner_client, held, query):
    for url in (f"/flags/?{query}", f"/characters/{held.character_id}/flags/?{query}"):
        assert "Enter a date from 2000-01-01 to 2999-12-31." in bad_request(owner_client, url)


@pytest.mark.parametrize(
    "export", ["sessions.csv?start_to=9999-12-31", "flags/export.csv?until=9999-12-31"]
)
def test_exports_refuse_dates_out_of_range(owner_client, held, export):
    response = owner_client.get(f"/characters/{held.character_id}/{export}")
    assert response.status_code == 400


def test_search_refuses_a_position_longer_than_any_line_id(owner_client, held):
    page = bad_request(owner_client, f"/search/?q=nobody&before={HUGE}")
    assert "less than or equal to 9223372036854775807" in page


@pytest.mark.parametrize(
    "url",
    [
        "/characters/a%00b/",
        "/characters/{char}/sessions/s%00/",
        "/characters/{char}/sessions/s-1/export.json%00",
        "/characters/{char}/flags/?status=%00",
        "/search/?q=nobody%00",
        "/keys/%00/edit/",
        "/admin/accounts/apikey/%00/change/",
        "/login/?next=/%00",
        "/%00",
    ],
)
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed in", "anonymous"])
def test_a_nul_anywhere_in_the_address_is_a_400(client, owner, held, url, signed_in):
    if signed_in:
        client.force_login(owner)
    response = client.get(url.format(char=held.character_id))
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
