"""The caches of the reading pages: a transcript's lines and a page of the session list's rows,
as rendered (pages/templatetags/page_rows.py), the rows of a page of the list as read
(pages/sessions.py), and a page of search results (pages/search.py). A page served from them
still shows what a sync stored since and every review action, at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from convai_dashboard.convai.records import Interaction as InteractionRecord
from convai_dashboard.convai.records import SessionSummary, Turn
from convai_dashboard.history import store
from convai_dashboard.history.models import ChatSession, Line, ReviewStatus
from convai_dashboard.review.models import FlagCategory, FlagStatus
from tests.factories import make_character, make_flag, make_key, make_tag
from tests.markup import is_unread, row_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def said(*exchanges: tuple[str, str]) -> list[InteractionRecord]:
    """A transcript as Convai sends it: each exchange the player's turn and the answer."""
    return [
        InteractionRecord(
            T0 + timedelta(seconds=10 * n), (Turn("User", asked), Turn("Character", answer)), False
        )
        for n, (asked, answer) in enumerate(exchanges)
    ]


@pytest.fixture
def stored(owner):
    """A character with one session, stored as a sync stores it."""
    character = make_character(owner, make_key(owner), sessions_refreshed_at=T0)
    store.store_session_list(character, [SessionSummary("s1", T0, False)])
    session = character.sessions.get()
    store.store_transcript(session, said(("Who are you?", "A wide receiver, lost.")))
    return character, ChatSession.objects.get(pk=session.pk)


def page_of(client, character, session, query: str = "") -> str:
    url = reverse("session", args=[character.character_id, session.session_id])
    response = client.get(f"{url}{query}")
    assert response.status_code == 200
    return response.content.decode()


def reads_lines(client, character, session) -> bool:
    with CaptureQueriesContext(connection) as queries:
        page_of(client, character, session)
    return any(Line._meta.db_table in query["sql"] for query in queries.captured_queries)


def test_a_transcript_shown_again_comes_from_the_cache(owner_client, stored):
    character, session = stored
    assert reads_lines(owner_client, character, session)
    assert not reads_lines(owner_client, character, session)


def test_a_sync_that_stores_a_transcript_again_shows_its_new_lines(owner_client, stored):
    character, session = stored
    assert "Anything else?" not in page_of(owner_client, character, session)
    # The player went on talking after the first fetch; the next sync stores it all again.
    store.store_transcript(
        session,
        said(("Who are you?", "A wide receiver, lost."), ("Anything else?", "Only the gold.")),
    )
    page = page_of(owner_client, character, ChatSession.objects.get(pk=session.pk))
    assert "Anything else?" in page and "Only the gold." in page
    assert 'data-total="2"' in page


def test_a_sync_storing_new_sessions_shows_them_in_the_list(owner_client, stored):
    character, session = stored
    assert "s2" not in page_of(owner_client, character, session)
    store.store_session_list(
        character, [SessionSummary("s1", T0, False), SessionSummary("s2", T0 + timedelta(1), False)]
    )
    assert "/sessions/s2/" in page_of(owner_client, character, session)


def test_a_flag_shows_at_once_in_a_cached_transcript(owner_client, colleague_client, stored):
    character, session = stored
    line = Line.objects.get(session=session, speaker="Character")
    page_of(owner_client, character, session)
    owner_client.post(
        reverse("flag_new", args=[character.character_id, session.session_id, line.pk]),
        {"category": FlagCategory.OUT_OF_CHARACTER, "comment": "Never 'lost'.", "rewrite": ""},
    )
    assert "Never &#x27;lost&#x27;." in page_of(owner_client, character, session)
    flag = line.flags.get()
    owner_client.post(
        reverse("flag_edit", args=[character.character_id, flag.pk]),
        {"status": FlagStatus.APPROVED, "comment": "Never 'lost'.", "rewrite": "Stranded."},
    )
    page = page_of(owner_client, character, session)
    assert "flag-status-approved" in page and "Stranded." in page


def test_a_search_marks_its_own_words_in_a_cached_transcript(owner_client, stored):
    character, session = stored
    assert "<mark>wide</mark>" in page_of(owner_client, character, session, "?q=wide")
    page = page_of(owner_client, character, session, "?q=gold")
    assert "<mark>wide</mark>" not in page


def test_a_flag_in_a_transcript_is_edited_back_in_that_transcript(owner_client, stored):
    character, session = stored
    earlier = SessionSummary("s0", T0 - timedelta(1), False)
    store.store_session_list(character, [SessionSummary("s1", T0, False), earlier])
    flag = make_flag(Line.objects.get(session=session, speaker="Character"))
    edit = reverse("flag_edit", args=[character.character_id, flag.pk])
    page = page_of(owner_client, character, session)
    # Without JavaScript, saving the flag returns to its line (the view's default); the page
    # once sent the "Next →" link's data along as `next`.
    assert "Next →" in page
    assert f'<a href="{edit}" data-hx-get' in page


def search_page(client, query: str, **headers) -> str:
    response = client.get(reverse("search"), {"q": query}, **headers)
    assert response.status_code == 200
    return response.content.decode()


def searches_lines(client, query: str) -> bool:
    with CaptureQueriesContext(connection) as queries:
        search_page(client, query)
    return any(Line._meta.db_table in query["sql"] for query in queries.captured_queries)


def test_a_search_repeated_comes_from_the_cache(owner_client, stored):
    assert searches_lines(owner_client, "wide")
    assert not searches_lines(owner_client, "wide")
    # The page and htmx's fragment are cached apart, and show the same hits.
    fragment = search_page(owner_client, "wide", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment and "<mark>wide</mark>" in fragment
    assert "<mark>wide</mark>" in search_page(owner_client, "wide")


def test_a_sync_storing_new_sessions_shows_them_in_a_cached_search(owner_client, stored):
    character, _ = stored
    assert "1 hit in 1 session" in search_page(owner_client, "wide")
    store.store_session_list(
        character, [SessionSummary("s1", T0, False), SessionSummary("s2", T0 + timedelta(1), False)]
    )
    store.store_transcript(character.sessions.get(session_id="s2"), said(("Wide?", "Very wide.")))
    page = search_page(owner_client, "wide")
    assert "3 hits in 2 sessions" in page and "<mark>Wide</mark>?" in page


def test_a_transcript_stored_again_shows_its_new_text_in_a_cached_search(owner_client, stored):
    _, session = stored
    assert "<mark>lost</mark>" in search_page(owner_client, "lost")
    # Convai sent the interaction again, its answer changed: the line is updated in place.
    store.store_transcript(session, said(("Who are you?", "A wide receiver, found.")))
    assert "No hits" in search_page(owner_client, "lost")


def test_a_cached_search_is_not_shared_with_a_reader_of_other_characters(
    owner_client, colleague_client, stored
):
    assert "<mark>wide</mark>" in search_page(owner_client, "wide")
    # The colleague holds no character: the same query string finds nothing for them.
    assert "<mark>wide</mark>" not in search_page(colleague_client, "wide")


def test_a_search_page_carries_a_token_that_signs_this_requests_forms(owner, stored):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    tokens = []
    for _ in range(2):
        page = search_page(client, "wide")
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found and f'"X-CSRFToken": "{found[0]}"' in page
        tokens.append(found[0])
    # Masked anew for each response, as Django's own tag does, and accepted by a form.
    assert tokens[0] != tokens[1]
    signed = client.post(
        reverse("preferences"),
        {"csrfmiddlewaretoken": tokens[1], "theme": "dark", "next": reverse("search")},
    )
    assert signed.status_code == 302
    forged = client.post(
        reverse("preferences"), {"csrfmiddlewaretoken": "x" * 64, "theme": "light"}
    )
    assert forged.status_code == 403


def test_a_search_page_follows_the_readers_preferences_and_messages(owner, owner_client, stored):
    assert "data-theme" not in search_page(owner_client, "wide")
    owner_client.post(reverse("preferences"), {"theme": "dark", "next": reverse("keys")})
    assert 'data-theme="dark"' in search_page(owner_client, "wide")
    # A message waiting for the next page is shown on it, cached or not.
    spare = make_key(owner, label="Spare")
    owner_client.post(reverse("key_delete", args=[spare.team_id, spare.pk]))
    assert "Key “Spare” deleted." in search_page(owner_client, "wide")
    assert "Key “Spare” deleted." not in search_page(owner_client, "wide")


def test_a_search_page_is_each_readers_own(owner_client, colleague, colleague_client, stored):
    character, _ = stored
    assert "owner" in search_page(owner_client, "wide")
    make_character(colleague, make_key(colleague), character_id=character.character_id)
    page = search_page(colleague_client, "wide")
    assert "<mark>wide</mark>" in page
    assert '<span class="who">colleague</span>' in page
    assert '<span class="who">owner</span>' not in page


def list_page(client, character, query: str = "") -> str:
    response = client.get(reverse("character", args=[character.character_id]) + query)
    assert response.status_code in (200, 400)
    return response.content.decode()


def test_a_tag_made_in_review_is_offered_at_once_by_the_cached_filters(owner_client, stored):
    character, session = stored
    assert "needs-vo" not in list_page(owner_client, character)
    owner_client.post(
        reverse("session_tag", args=[character.character_id, session.session_id]),
        {"name": "needs-vo", "colour": ""},
    )
    # The filter's option (its value is the name), not only the bulk tagging's.
    assert '<option value="needs-vo">needs-vo</option>' in list_page(owner_client, character)


def test_the_cached_filters_show_the_query_string_they_were_given(owner_client, stored):
    character, _ = stored
    assert 'value="yes" selected' not in list_page(owner_client, character)
    assert 'value="yes" selected' in list_page(owner_client, character, "?memory=yes")
    page = list_page(owner_client, character, "?min_interactions=-4")
    assert "field-invalid" in page and "field-invalid" not in list_page(owner_client, character)


def test_a_character_added_is_offered_at_once_by_the_cached_search_form(
    owner, owner_client, stored
):
    assert "Second character" not in search_page(owner_client, "wide")
    make_character(
        owner, make_key(owner, label="second"), character_id="second", name="Second character"
    )
    page = search_page(owner_client, "wide")
    assert '<option value="second">Second character</option>' in page
    # The choice made is shown chosen, and its results are its own: none here.
    chosen = owner_client.get(reverse("search"), {"q": "wide", "character": "second"})
    assert '<option value="second" selected>' in chosen.content.decode()
    assert "No hits" in chosen.content.decode()


def test_a_sync_storing_new_sessions_counts_them_in_a_filtered_list(owner_client, stored):
    character, _ = stored
    assert "<strong>1</strong> of 1 session match" in list_page(
        owner_client, character, "?memory=no"
    )
    store.store_session_list(
        character, [SessionSummary("s1", T0, False), SessionSummary("s2", T0 + timedelta(1), False)]
    )
    page = list_page(owner_client, character, "?memory=no")
    assert "<strong>2</strong> of 2 sessions match" in page


def test_a_review_action_counts_at_once_in_a_list_filtered_by_status(owner_client, stored):
    character, session = stored
    assert "<strong>0</strong> of 1 session match" in list_page(
        owner_client, character, f"?status={ReviewStatus.APPROVED}"
    )
    owner_client.post(
        reverse("session_status", args=[character.character_id, session.session_id]),
        {"status": ReviewStatus.APPROVED},
    )
    page = list_page(owner_client, character, f"?status={ReviewStatus.APPROVED}")
    assert "<strong>1</strong> of 1 session match" in page


def reads_the_list(client, character, query: str = "") -> bool:
    with CaptureQueriesContext(connection) as queries:
        list_page(client, character, query)
    # Of the list page's queries, only the one reading its rows asks for this column.
    return any("first_player_line" in query["sql"] for query in queries.captured_queries)


def test_a_page_of_the_list_shown_again_comes_from_the_cache(owner_client, stored):
    character, _ = stored
    assert reads_the_list(owner_client, character)
    assert not reads_the_list(owner_client, character)
    assert reads_the_list(owner_client, character, "?sort=oldest")
    assert not reads_the_list(owner_client, character, "?sort=oldest")


def test_a_sync_storing_a_transcript_shows_it_at_once_in_the_cached_list(owner_client, stored):
    character, _ = stored
    store.store_session_list(
        character, [SessionSummary("s1", T0, False), SessionSummary("s2", T0 + timedelta(1), False)]
    )
    assert "not fetched" in list_page(owner_client, character)
    store.store_transcript(
        character.sessions.get(session_id="s2"),
        said(("Any gold?", "Only the gold."), ("And?", "Nothing.")),
    )
    page = list_page(owner_client, character)
    assert "not fetched" not in page and "2 interactions" in page


def test_a_review_status_shows_at_once_in_the_cached_list(owner_client, stored):
    character, session = stored
    assert "status-approved" not in list_page(owner_client, character)
    assert "/sessions/s1/" in list_page(owner_client, character, "?status=unreviewed")
    owner_client.post(
        reverse("session_status", args=[character.character_id, session.session_id]),
        {"status": ReviewStatus.APPROVED},
    )
    assert "status-approved" in list_page(owner_client, character)
    # The filter on the status, read before the change, no longer lets the session through.
    assert "/sessions/s1/" not in list_page(owner_client, character, "?status=unreviewed")
    assert "/sessions/s1/" in list_page(owner_client, character, "?status=approved")


def test_a_session_tagged_shows_at_once_in_a_list_filtered_by_its_tag(owner_client, stored):
    character, session = stored
    tag = make_tag(character, "needs-vo")
    assert "/sessions/s1/" not in list_page(owner_client, character, "?tag=needs-vo")
    owner_client.post(
        reverse("session_tag", args=[character.character_id, session.session_id]),
        {"name": tag.name, "colour": ""},
    )
    page = list_page(owner_client, character, "?tag=needs-vo")
    assert "/sessions/s1/" in page and '<span class="tag tag-blue">needs-vo</span>' in page


def test_a_rows_marks_show_at_once_in_the_cached_list(owner_client, stored):
    character, session = stored
    assert is_unread(row_of(list_page(owner_client, character), session))
    page_of(owner_client, character, session)  # opened: read
    assert not is_unread(row_of(list_page(owner_client, character), session))
    make_flag(Line.objects.get(session=session, speaker="Character"))
    assert "1 open flag" in list_page(owner_client, character)
