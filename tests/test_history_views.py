"""Session list and transcript pages: full pages, htmx fragments, errors and escaping."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from convai_dashboard.history.models import ChatSession
from convai_dashboard.sandbox import ASTRONAUT_ID
from tests.factories import (
    make_access,
    make_character,
    make_interaction,
    make_key,
    make_session,
)
from tests.markup import row_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REAL_SESSION = "9fc15ee9-5f69-4f4b-916b-9c71a9a8786f"
T = datetime(2026, 10, 2, tzinfo=UTC)


@pytest.fixture
def astronaut(owner, sandbox):
    return make_character(owner, make_key(owner), character_id=ASTRONAUT_ID, name="DK")


def fetch_list(client, character):
    """What the list's "fetching" form sends, as htmx sends it on a first visit."""
    return client.post(f"/characters/{character.character_id}/refresh/", **HTMX)


def fetch_transcript(client, character, session_id, query=""):
    """What the transcript's "fetching" form sends, as htmx sends it."""
    return client.post(
        f"/characters/{character.character_id}/sessions/{session_id}/refetch/{query}",
        HTTP_HX_TARGET="transcript",
        **HTMX,
    )


def test_the_first_visit_shows_itself_fetching_then_swaps_in_the_list(
    owner_client, astronaut, sandbox
):
    url = f"/characters/{astronaut.character_id}/"
    page = owner_client.get(url).content.decode()
    assert "<html" in page and "Fetching the session list from Convai" in page
    assert sandbox.requests == [], "the page itself waits on no Convai call"
    # The form that fetches: htmx sends it as soon as it is shown; without JS, its button.
    assert f'data-hx-post="{url}refresh/" data-hx-trigger="load"' in page
    assert f'action="{url}refresh/"' in page
    fragment = fetch_list(owner_client, astronaut).content.decode()
    assert fragment.lstrip().startswith('<section id="session-list"')
    assert "79 sessions stored" in fragment and "2025-08-20 15:53" in fragment
    assert "Fetching the session list" not in fragment
    page = owner_client.get(url).content.decode()
    assert "79 sessions stored" in page and "UTC" in page
    assert "Fetching the session list" not in page


def test_without_javascript_the_fetching_button_fetches_the_list(owner_client, astronaut):
    response = owner_client.post(f"/characters/{astronaut.character_id}/refresh/", follow=True)
    assert response.redirect_chain[-1][0] == f"/characters/{astronaut.character_id}/"
    assert "79 sessions stored" in response.content.decode()


def test_a_failed_first_fetch_says_why_and_does_not_fetch_again_by_itself(
    owner_client, astronaut, sandbox
):
    sandbox.fault = "error_503_html"
    fragment = fetch_list(owner_client, astronaut).content.decode()
    assert "Could not refresh the session list." in fragment and "HTTP 503" in fragment
    # The answer shows the failure, not a new "fetching" form that would ask again at once.
    assert 'data-hx-trigger="load"' not in fragment


def test_the_list_is_a_fragment_for_htmx_and_whole_for_a_history_restore(owner_client, astronaut):
    url = f"/characters/{astronaut.character_id}/"
    fragment = owner_client.get(url, **HTMX)
    assert fragment.content.decode().lstrip().startswith('<section id="session-list"')
    assert "HX-Request" in fragment["Vary"]
    restore = owner_client.get(url, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()


def test_it_shows_the_memory_flag_and_counts_once_known(owner_client, owner):
    character = make_character(owner, sessions_refreshed_at="2026-10-01T00:00Z")
    make_session(character, in_memory=True, interaction_count=12, transcript_fetched_at=T)
    make_session(character, session_id="unfetched")
    page = owner_client.get(f"/characters/{character.character_id}/").content.decode()
    assert "Long-term memory" in page
    assert "12 interactions" in page and "not fetched" in page


def listed(page: str) -> list[str]:
    return re.findall(r'class="session-row" href="[^"]*/sessions/([^/"]+)/', page)


TRANSCRIPT_ALONE = (
    r'\s*<title>Session of [^<]+</title><a class="session-row" [^>]*data-hx-swap-oob="[^"]+">'
    r'.*?</a>\s*<section id="transcript"'
)


def pager_link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


@override_settings(SESSIONS_PER_PAGE=10)
def test_it_pages_through_every_session_once_newest_first(owner_client, astronaut):
    url = f"/characters/{astronaut.character_id}/"
    fetch_list(owner_client, astronaut)
    expected = list(
        ChatSession.objects.order_by("-started_at", "-session_id").values_list(
            "session_id", flat=True
        )
    )
    seen, next_url = [], url
    while next_url:
        page = owner_client.get(next_url, **HTMX).content.decode()
        seen += listed(page)
        next_url = pager_link(page, "next")
    assert seen == expected and len(seen) == 79


@override_settings(SESSIONS_PER_PAGE=10)
def test_the_last_page_is_one_link_away_and_pages_back(owner_client, astronaut):
    url = f"/characters/{astronaut.character_id}/"
    fetch_list(owner_client, astronaut)
    last = owner_client.get(url + "?last=1").content.decode()
    oldest = list(ChatSession.objects.order_by("started_at", "session_id")[:10])
    assert listed(last) == [s.session_id for s in reversed(oldest)]
    assert pager_link(last, "next") is None
    before_last = listed(owner_client.get(pager_link(last, "prev")).content.decode())
    newer = ChatSession.objects.order_by("started_at", "session_id")[10:20]
    assert before_last == [s.session_id for s in reversed(newer)]


@override_settings(SESSIONS_PER_PAGE=10)
@pytest.mark.parametrize(
    ("sort", "first", "last"),
    [
        ("newest", "⇤ Newest", "Oldest ⇥"),
        ("oldest", "⇤ Oldest", "Newest ⇥"),
        ("longest", "⇤ Longest", "Shortest ⇥"),
    ],
)
def test_the_pager_names_the_ends_of_the_list_as_sorted(owner_client, astronaut, sort, first, last):
    fetch_list(owner_client, astronaut)
    top = owner_client.get(f"/characters/{astronaut.character_id}/?sort={sort}").content.decode()
    # A page in the middle links to both ends.
    middle = owner_client.get(pager_link(top, "next")).content.decode()
    assert f">{first}</a>" in middle
    assert f">{last}</a>" in middle
    # The filters' summary names the sort as its choice does.
    assert f'<span class="muted">· {sort.capitalize()} first</span>' in middle


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("after=nonsense", "page link is not valid"),
        ("before=2026-13-45T00:00:00~x", "page link is not valid"),
        ("min_interactions=-1", "greater than or equal to 0"),
        ("start_from=yesterday", "Enter a valid date"),
        ("start_from=2026-02-01&start_to=2026-01-01", "end date is before the start date"),
        ("min_interactions=9&max_interactions=3", "maximum is below the minimum"),
        ("sort=loudest", "Select a valid choice"),
        ("memory=perhaps", "Select a valid choice"),
    ],
)
def test_bad_list_input_is_a_clear_400_with_the_list_still_shown(
    owner_client, astronaut, query, words
):
    fetch_list(owner_client, astronaut)
    response = owner_client.get(f"/characters/{astronaut.character_id}/?{query}")
    page = response.content.decode()
    assert response.status_code == 400
    assert "filters are not valid" in page or "page link is not valid" in page
    assert words in html.unescape(page)
    assert "79 sessions stored" in page


def test_opening_an_unstored_session_shows_it_fetching_then_its_bubbles(
    owner_client, astronaut, sandbox
):
    fetch_list(owner_client, astronaut)
    url = f"/characters/{astronaut.character_id}/sessions/{REAL_SESSION}/"
    asked = len(sandbox.requests)
    page = owner_client.get(url).content.decode()
    assert '<section id="session-list"' in page, "the deep link is the whole page"
    assert "<strong>Fetching this transcript from Convai" in page
    assert f'data-hx-post="{url}refetch/" data-hx-trigger="load"' in page
    assert "Convai has no interactions" not in page
    assert len(sandbox.requests) == asked, "the page itself waits on no Convai call"
    # Without JavaScript, the form's button fetches it and comes back to the page.
    response = owner_client.post(f"{url}refetch/", follow=True)
    assert response.redirect_chain[-1][0] == url
    page = response.content.decode()
    assert "bubble-player" in page and "bubble-character" in page
    assert "Hello. Who are you?" in page
    assert "15:39:20" in page
    assert "<strong>Fetching this transcript" not in page


def test_an_htmx_click_gets_only_the_transcript_which_then_fetches_itself(owner_client, astronaut):
    fetch_list(owner_client, astronaut)
    response = owner_client.get(
        f"/characters/{astronaut.character_id}/sessions/{REAL_SESSION}/?sort=oldest",
        HTTP_HX_TARGET="transcript",
        **HTMX,
    )
    page = response.content.decode()
    # Only the transcript, after the title it gives the page (htmx takes a top-level <title>)
    # and its row of the list, out of band.
    assert re.match(TRANSCRIPT_ALONE, page, re.DOTALL)
    assert "session-list" not in page
    # The fetch keeps the list's query, so the pane's moves follow the list as sorted.
    assert (
        f'data-hx-post="/characters/{ASTRONAUT_ID}/sessions/{REAL_SESSION}/refetch/?sort=oldest"'
        in (page)
    )
    page = fetch_transcript(owner_client, astronaut, REAL_SESSION, "?sort=oldest").content.decode()
    assert re.match(TRANSCRIPT_ALONE, page, re.DOTALL)
    assert "session-list" not in page and "Hello. Who are you?" in page
    oldest = ChatSession.objects.order_by("started_at", "session_id")
    after = oldest[list(oldest.values_list("session_id", flat=True)).index(REAL_SESSION) + 1]
    assert f"/sessions/{after.session_id}/?sort=oldest" in html.unescape(page)
    session = ChatSession.objects.get(session_id=REAL_SESSION)
    # The list row learns the count without a reload, out of band.
    row = row_of(page, session)
    assert (
        'data-hx-swap-oob="outerHTML:' in row and f"{session.interaction_count} interactions" in row
    )


def test_a_stored_transcript_is_read_without_convai(owner_client, owner, sandbox):
    character = make_character(owner, make_key(owner), sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(character, transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", "stored line"), ("Character", "stored answer"))
    sandbox.fault = "error_503_html"
    page = owner_client.get(f"/characters/{character.character_id}/sessions/{session.session_id}/")
    assert "stored answer" in page.content.decode()
    assert sandbox.requests == []


def test_it_tells_triggers_events_other_speakers_and_silent_players_apart(owner_client, owner):
    character = make_character(owner, name="Brunhild", sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(character, transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", ""), ("Character", "Welcome to the forge!"))
    make_interaction(
        session, ("User", "player_enters_forge"), ("Character", "Ah."), is_trigger_input=True
    )
    make_interaction(
        session, ("User", "[An Event has occurred]: The bell rings"), ("Character", "Hm?")
    )
    make_interaction(session, ("Narrator", "Sparks fly."))
    make_interaction(
        session,
        ("User", "tell me"),
        (
            "Character",
            "Your message was rejected because it contained content that is not allowed: illicit",
        ),
    )
    page = owner_client.get(
        f"/characters/{character.character_id}/sessions/{session.session_id}/"
    ).content.decode()
    assert page.count("Character spoke first") == 2  # the greeting and the narrator's line
    assert "bubble-trigger" in page and "Game trigger" in page and "Trigger input" in page
    assert "bubble-event" in page and "Game event" in page
    assert "bubble-other" in page and "Narrator" in page
    assert "Moderation refusal" in page
    assert "Brunhild" in page


def test_hostile_text_is_shown_as_text(owner_client, owner):
    character = make_character(owner, sessions_refreshed_at="2026-10-01T00:00Z")
    session = make_session(character, transcript_fetched_at="2026-10-01T00:00Z")
    make_interaction(session, ("User", "<script>alert('x')</script>\n<img src=x onerror=alert(1)>"))
    page = owner_client.get(
        f"/characters/{character.character_id}/sessions/{session.session_id}/"
    ).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\n&lt;img src=x" in page


def test_pages_forbid_inline_script_by_policy(owner_client):
    csp = owner_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("invalid_key", "Convai refused the API key"),
        ("error_500_html", "Convai is having trouble (HTTP 500)"),
        ("ratelimit", "limiting how often"),
        ("garbage", "not JSON"),
        ("slow", "did not answer within"),
    ],
)
def test_a_failed_fetch_says_why_in_the_page(
    owner_client, astronaut, sandbox, settings, fault, words
):
    settings.CONVAI_PAGE_TIMEOUT = 0.3
    sandbox.slow_seconds = 1
    fetch_list(owner_client, astronaut)
    sandbox.fault = fault
    url = f"/characters/{astronaut.character_id}/sessions/{REAL_SESSION}/"
    response = owner_client.post(f"{url}refetch/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Could not fetch this transcript." in page and words in page
    assert "79 sessions stored" in page, "what is stored is still shown"
    assert "<strong>Fetching this transcript" not in page, "no new fetch starts by itself"


def test_a_failed_refresh_keeps_the_stored_list(owner_client, astronaut, sandbox):
    fetch_list(owner_client, astronaut)
    sandbox.fault = "error_503_html"
    response = owner_client.post(f"/characters/{astronaut.character_id}/refresh/", **HTMX)
    page = response.content.decode()
    assert "Could not refresh the session list." in page and "HTTP 503" in page
    assert "79 sessions stored" in page


@pytest.mark.parametrize(
    ("fault", "headline", "words"),
    [
        ("error_503_html", "Convai could not be reached", "HTTP 503"),
        ("slow", "Convai could not be reached", "did not answer within"),
        ("invalid_key", "Convai refused the API key", "Invalid API key provided."),
        ("ratelimit", "Convai is limiting this key&#x27;s requests", "Try again in 1 second."),
        ("wrong_shape", "Convai&#x27;s answer could not be read", "not in the expected shape"),
        ("garbage", "Convai&#x27;s answer could not be read", "not JSON"),
        ("error_200", "Convai answered with an error", "Something went wrong on our side"),
    ],
)
def test_the_offline_banner_says_what_kind_of_failure_it_was(
    colleague_client, colleague, owner_client, astronaut, sandbox, settings, fault, headline, words
):
    # A colleague reads the history without a key of their own, so even a refused key leaves
    # someone to see the banner.
    make_access(colleague, None, character_id=astronaut.character_id)
    settings.CONVAI_READ_TIMEOUT = settings.CONVAI_PAGE_TIMEOUT = 0.3
    sandbox.slow_seconds = 1
    owner_client.get(f"/characters/{astronaut.character_id}/")
    sandbox.fault = fault
    colleague_client.post(f"/characters/{astronaut.character_id}/refresh/")
    page = colleague_client.get(f"/characters/{astronaut.character_id}/").content.decode()
    banner = page[page.index("Showing stored history.") :].split("</div>")[0]
    assert headline in banner and words in banner
    assert "1 seconds" not in banner
    if headline != "Convai could not be reached":
        assert "could not be reached" not in banner


def test_refresh_reports_what_changed(owner_client, astronaut, sandbox):
    fetch_list(owner_client, astronaut)
    ChatSession.objects.filter(session_id=REAL_SESSION).delete()
    response = owner_client.post(f"/characters/{astronaut.character_id}/refresh/", follow=True)
    assert "Convai lists 79 session(s), 1 new." in response.content.decode()


def test_refetching_a_transcript_adds_what_is_new_and_loses_nothing(owner_client, astronaut):
    fetch_list(owner_client, astronaut)
    fetch_transcript(owner_client, astronaut, REAL_SESSION)
    session = ChatSession.objects.get(session_id=REAL_SESSION)
    stored = session.interactions.count()
    first = session.interactions.order_by("occurred_at").first()
    first.occurred_at -= timedelta(days=1)  # as if Convai had since changed that interaction
    first.save()
    response = owner_client.post(
        f"/characters/{astronaut.character_id}/sessions/{REAL_SESSION}/refetch/",
        HTTP_HX_TARGET="transcript",
        **HTMX,
    )
    assert re.match(TRANSCRIPT_ALONE, response.content.decode(), re.DOTALL)
    session.refresh_from_db()
    assert session.interactions.count() == stored + 1
    assert session.interactions.filter(pk=first.pk).exists()
    assert session.interaction_count == stored + 1


def test_a_failed_refresh_asks_convai_once(owner_client, owner, sandbox):
    never_refreshed = make_character(owner, make_key(owner), character_id=ASTRONAUT_ID)
    sandbox.fault = "error_503_html"
    response = owner_client.post(f"/characters/{ASTRONAUT_ID}/refresh/", **HTMX)
    assert response.content.decode().count("Could not refresh the session list.") == 1
    lists = [r for r in sandbox.requests if r.path == "/character/chatHistory/list"]
    # One request, not retried by a page: the list shown afterwards does not ask again.
    assert len(lists) == 1
    assert never_refreshed.sessions.count() == 0
